package tlsrpt

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

const dayLayout = "2006-01-02"

// Bucket layout: days/<YYYY-MM-DD>/<domain> = JSON domainDay, and
// days/<YYYY-MM-DD>/"\x00dropped" = domains refused that day (decimal).
var daysBucket = []byte("days")

const droppedKey = "\x00dropped" // no domain name starts with NUL

// domainDay is one policy domain's counts of one UTC day.
type domainDay struct {
	Policies []*policyAgg `json:"policies"`
	// Dropped counts sessions whose policy or failure row did not fit.
	Dropped int64 `json:"dropped,omitempty"`
}

type policyAgg struct {
	Type       string       `json:"type"`
	String     []string     `json:"string,omitempty"`
	MXHost     []string     `json:"mx,omitempty"`
	Successful int64        `json:"ok"`
	Failed     int64        `json:"failed"`
	Details    []*detailAgg `json:"details,omitempty"`
}

type detailAgg struct {
	ResultType  string `json:"type"`
	SendingIP   string `json:"sip,omitempty"`
	ReceivingMX string `json:"mx,omitempty"`
	ReceivingIP string `json:"rip,omitempty"`
	Count       int64  `json:"n"`
}

// dayAgg is one day in memory; dirty names what Flush must write.
type dayAgg struct {
	domains      map[string]*domainDay
	dropped      int64
	dirty        map[string]bool
	droppedDirty bool
}

func newDayAgg() *dayAgg {
	return &dayAgg{domains: map[string]*domainDay{}, dirty: map[string]bool{}}
}

// limits bound what one day keeps.
type limits struct{ domains, policies, details int }

// add counts res into the day; it reports false when the domain did not
// fit (counted in dropped).
func (d *dayAgg) add(res Result, lim limits) {
	dd := d.domains[res.Domain]
	if dd == nil {
		if len(d.domains) >= lim.domains {
			d.dropped++
			d.droppedDirty = true
			return
		}
		dd = &domainDay{}
		d.domains[res.Domain] = dd
	}
	d.dirty[res.Domain] = true
	var p *policyAgg
	for _, q := range dd.Policies {
		if q.Type == res.PolicyType && slices.Equal(q.String, res.PolicyString) && slices.Equal(q.MXHost, res.MXHost) {
			p = q
			break
		}
	}
	if p == nil {
		if len(dd.Policies) >= lim.policies {
			dd.Dropped++
			return
		}
		p = &policyAgg{Type: res.PolicyType, String: slices.Clone(res.PolicyString), MXHost: slices.Clone(res.MXHost)}
		dd.Policies = append(dd.Policies, p)
	}
	if res.Failure == "" {
		p.Successful++
		return
	}
	p.Failed++
	for _, x := range p.Details {
		if x.ResultType == res.Failure && x.SendingIP == res.SendingIP && x.ReceivingMX == res.ReceivingMX && x.ReceivingIP == res.ReceivingIP {
			x.Count++
			return
		}
	}
	if dd.details() >= lim.details {
		dd.Dropped++ // the session is in the summary, its row is not
		return
	}
	p.Details = append(p.Details, &detailAgg{ResultType: res.Failure, SendingIP: res.SendingIP,
		ReceivingMX: res.ReceivingMX, ReceivingIP: res.ReceivingIP, Count: 1})
}

func (dd *domainDay) details() int {
	n := 0
	for _, p := range dd.Policies {
		n += len(p.Details)
	}
	return n
}

// store is the bbolt file behind the counts.
type store struct{ db *bolt.DB }

func openStore(path string) (*store, map[string]*dayAgg, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, nil, fmt.Errorf("tlsrpt: open %s: %w", path, err)
	}
	days := map[string]*dayAgg{}
	err = db.Update(func(tx *bolt.Tx) error {
		top, err := tx.CreateBucketIfNotExists(daysBucket)
		if err != nil {
			return err
		}
		return top.ForEachBucket(func(k []byte) error {
			da := newDayAgg()
			days[string(k)] = da
			return top.Bucket(k).ForEach(func(dk, v []byte) error {
				if string(dk) == droppedKey {
					da.dropped, _ = strconv.ParseInt(string(v), 10, 64)
					return nil
				}
				var dd domainDay
				if err := json.Unmarshal(v, &dd); err != nil {
					return fmt.Errorf("day %s domain %q: %w", k, dk, err)
				}
				da.domains[string(dk)] = &dd
				return nil
			})
		})
	})
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("tlsrpt: load %s: %w", path, err)
	}
	return &store{db: db}, days, nil
}

// write stores what is dirty in days (one transaction, one fsync).
func (s *store) write(days map[string]*dayAgg) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		top := tx.Bucket(daysBucket)
		for day, da := range days {
			if len(da.dirty) == 0 && !da.droppedDirty {
				continue
			}
			b, err := top.CreateBucketIfNotExists([]byte(day))
			if err != nil {
				return err
			}
			for dom := range da.dirty {
				dd := da.domains[dom]
				if dd == nil {
					continue
				}
				js, err := json.Marshal(dd)
				if err != nil {
					return err
				}
				if err := b.Put([]byte(dom), js); err != nil {
					return err
				}
			}
			if da.droppedDirty {
				if err := b.Put([]byte(droppedKey), strconv.AppendInt(nil, da.dropped, 10)); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// forget deletes a domain's counts of day; with domain "" the whole day.
func (s *store) forget(day, domain string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		top := tx.Bucket(daysBucket)
		b := top.Bucket([]byte(day))
		if b == nil {
			return nil
		}
		if domain == "" {
			return top.DeleteBucket([]byte(day))
		}
		return b.Delete([]byte(domain))
	})
}

func (s *store) close() error { return s.db.Close() }
