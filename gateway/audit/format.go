package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// zeroHash is the prev of the very first record of a log.
const zeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// timeLayout always has nine fractional digits so lines have a fixed shape.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

const checkpointContext = "sealgate-audit-checkpoint-v1"

// line is the on-disk shape; field order is the line's field order.
type line struct {
	Seq       uint64          `json:"seq"`
	Time      string          `json:"time"`
	Type      string          `json:"type"`
	MsgID     string          `json:"msg_id,omitempty"`
	MessageID string          `json:"message_id,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
	Prev      string          `json:"prev"`
}

func encodeLine(seq uint64, t time.Time, ev Event, data json.RawMessage, prev string) ([]byte, error) {
	b, err := marshal(line{Seq: seq, Time: t.UTC().Format(timeLayout), Type: ev.Type, MsgID: ev.MsgID, MessageID: ev.MessageID, Data: data, Prev: prev})
	if err != nil {
		return nil, fmt.Errorf("audit: encode record: %w", err)
	}
	return b, nil
}

// marshal is json.Marshal without HTML escaping: "<id@host>" stays readable.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// parseLine decodes one line (without "\n").
func parseLine(raw []byte) (Record, error) {
	var l line
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return Record{}, fmt.Errorf("unparsable record: %v", err)
	}
	if dec.More() {
		return Record{}, fmt.Errorf("unparsable record: trailing data")
	}
	if l.Seq == 0 || l.Type == "" || len(l.Prev) != 64 {
		return Record{}, fmt.Errorf("unparsable record: missing seq, type or prev")
	}
	t, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil {
		return Record{}, fmt.Errorf("unparsable record: time: %v", err)
	}
	return Record{Seq: l.Seq, Time: t, Type: l.Type, MsgID: l.MsgID, MessageID: l.MessageID, Data: l.Data, Prev: l.Prev, Raw: raw}, nil
}

func hashLine(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

func checkpointMessage(seq uint64, head string) []byte {
	return []byte(checkpointContext + "\n" + strconv.FormatUint(seq, 10) + "\n" + head + "\n")
}

// KeyID names a checkpoint public key: the first 16 hex digits of its SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return hex.EncodeToString(h[:])[:16]
}

func signCheckpoint(key ed25519.PrivateKey, seq uint64, head string, every, intervalSec int) Checkpoint {
	sig := ed25519.Sign(key, checkpointMessage(seq, head))
	return Checkpoint{HeadSeq: seq, HeadHash: head, KeyID: KeyID(key.Public().(ed25519.PublicKey)),
		Signature: base64.StdEncoding.EncodeToString(sig), Every: every, IntervalSeconds: intervalSec}
}

// segment file names: audit-YYYYMMDD-NNNNNN.jsonl
const (
	segPrefix = "audit-"
	segSuffix = ".jsonl"
)

func segmentName(day string, n uint64) string {
	return fmt.Sprintf("%s%s-%06d%s", segPrefix, day, n, segSuffix)
}

// parseSegmentName returns the day and counter of a segment file name.
func parseSegmentName(name string) (day string, n uint64, ok bool) {
	if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
		return "", 0, false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix)
	d, c, found := strings.Cut(mid, "-")
	if !found || len(d) != 8 || len(c) < 6 {
		return "", 0, false
	}
	if _, err := time.Parse("20060102", d); err != nil {
		return "", 0, false
	}
	n, err := strconv.ParseUint(c, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return d, n, true
}

// listSegments returns the segment file names of dir in chain order.
func listSegments(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var names []string
	for _, e := range ents {
		if _, _, ok := parseSegmentName(e.Name()); ok && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func segPath(dir, name string) string { return filepath.Join(dir, name) }
