package spool

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sealgate/sealgate/crypto/seal"
)

// ErrWrongKey means the configured key does not open this spool.
var ErrWrongKey = errors.New("spool: the configured key does not open this spool (wrong spool.key_file?)")

const (
	keyCheckFile    = "keycheck"
	keyCheckContext = "spool-keycheck"
	keyCheckText    = "sealgate spool key check v1\n"
)

// checkKey proves the key before anything else touches the spool: without
// it, starting with the wrong key would find every message "corrupt" and
// quarantine the whole queue. The first Open writes the check file.
func (s *Spool) checkKey() error {
	path := filepath.Join(s.dir, keyCheckFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		var buf bytes.Buffer
		w, err := seal.NewWriter(&buf, s.key, keyCheckContext)
		if err != nil {
			return err
		}
		io.WriteString(w, keyCheckText)
		w.Close()
		tmp := filepath.Join(s.tmpDir, keyCheckFile)
		if err := os.WriteFile(tmp, buf.Bytes(), fileMode); err != nil {
			return s.wrap("write key check", "", err)
		}
		if err := syncPath(tmp); err != nil {
			return s.wrap("sync key check", "", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return s.wrap("write key check", "", err)
		}
		return s.syncDir(s.dir)
	}
	if err != nil {
		return s.wrap("read key check", "", err)
	}
	defer f.Close()
	r, err := seal.NewReader(f, s.key, keyCheckContext)
	if err != nil {
		return ErrWrongKey
	}
	got, err := io.ReadAll(io.LimitReader(r, 1024))
	if err != nil || string(got) != keyCheckText {
		return fmt.Errorf("%w: %s does not authenticate", ErrWrongKey, path)
	}
	return nil
}

func syncPath(p string) error {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
