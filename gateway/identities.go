package gateway

import (
	"fmt"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/crypto/pgp"
	"github.com/sealgate/sealgate/crypto/smime"
	"github.com/sealgate/sealgate/gateway/process"
	"github.com/sealgate/sealgate/policy"
)

// PolicySet loads the configured policy files, or the shipped default
// policy when there are none: the set serve runs, so that `policy lint` and
// `policy test` see the same one.
func PolicySet(cfg *config.Config) (*policy.Set, error) {
	if len(cfg.Policy.Paths) == 0 {
		return policy.DefaultSet(), nil
	}
	return policy.Load(cfg.Policy.Paths...)
}

// loadPolicy builds the engine from the configured files, or the shipped
// default policy.
func loadPolicy(cfg *config.Config) (*policy.Engine, error) {
	set, err := PolicySet(cfg)
	if err != nil {
		return nil, err
	}
	return policy.NewEngine(set)
}

// policyChanged is the policy watcher's callback: a broken policy is
// refused and the running one stays in force; either way it is audited.
func (g *Gateway) policyChanged(set *policy.Set, err error) {
	var eng *policy.Engine
	if err == nil {
		eng, err = policy.NewEngine(set)
	}
	if err != nil {
		g.log.Error("policy change refused; the running policy stays in force", "err", err.Error())
		g.RecordReload(fmt.Errorf("policy: %w", err), "")
		return
	}
	g.engine.Store(eng)
	g.log.Info("policy reloaded", "policy_hash", set.Hash)
	g.RecordReload(nil, "policy:"+set.Hash)
}

// loadIdentities loads the organisation's signing keys and the S/MIME
// trust store; private key files readable by others refuse the start.
func loadIdentities(cfg *config.Config) (process.Identities, error) {
	o := cfg.Keys.Org
	ids := process.Identities{SMIMEKeyTransport: cfg.Keys.SMIMEKeyTransport, SMIMEContentCipher: cfg.Keys.SMIMEContentCipher, HeaderProtection: cfg.Keys.HeaderProtection}
	var err error
	if o.SMIMECertFile != "" {
		if ids.SMIMESigner, err = smime.LoadSigner(o.SMIMECertFile, o.SMIMEKeyFile); err != nil {
			return ids, fmt.Errorf("gateway: keys.org.smime: %w", err)
		}
	}
	if o.PGPKeyFile != "" {
		if ids.PGPSigner, err = pgp.LoadSigner(o.PGPKeyFile, o.PGPPassphraseFile); err != nil {
			return ids, fmt.Errorf("gateway: keys.org.pgp_key_file: %w", err)
		}
	}
	if cfg.Keys.SMIMECAFile != "" {
		if ids.SMIMERoots, err = config.LoadCertPool(cfg.Keys.SMIMECAFile); err != nil {
			return ids, fmt.Errorf("gateway: keys.smime_ca_file: %w", err)
		}
	}
	return ids, nil
}
