package audit

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Problem is the first sign of tampering or damage Verify found.
type Problem struct {
	File string // segment file name
	Line int    // 1-based line number in File
	Seq  uint64 // the record's seq, 0 if it could not be read
	Msg  string
}

func (p *Problem) String() string {
	return fmt.Sprintf("%s:%d seq %d: %s", p.File, p.Line, p.Seq, p.Msg)
}

// VerifyResult sums up a Verify run. Problem is nil when the log verifies.
type VerifyResult struct {
	Segments, Records, Checkpoints int
	LastSeq                        uint64
	UnsignedTail                   int // records after the last checkpoint (fewer than Every: not a problem)
	Problem                        *Problem
	FirstSeq                       uint64 // seq of the first record checked (> 1 after retention or with from)
}

// Verify walks every segment of dir (from the segment named from, if not
// "", whose first prev is then trusted) and reports the first record whose
// line, seq, prev or checkpoint is wrong. A missing first segment (removed
// by retention) is trusted the same way. The error is for I/O trouble only.
func Verify(dir string, pub ed25519.PublicKey, from string) (VerifyResult, error) {
	var res VerifyResult
	if len(pub) != ed25519.PublicKeySize {
		return res, errors.New("audit: verify needs the Ed25519 public key")
	}
	segs, err := segmentsFrom(dir, from)
	if err != nil {
		return res, err
	}
	wantKey := KeyID(pub)
	var (
		prevSeq   uint64
		prevHash  string
		havePrev  bool
		every     = defaultEvery
		since     int
		prevWhere string
	)
	for i, name := range segs {
		res.Segments++
		f, err := os.Open(segPath(dir, name))
		if err != nil {
			return res, fmt.Errorf("audit: %w", err)
		}
		r := bufio.NewReaderSize(f, 256<<10)
		lineNo := 0
		problem := func(seq uint64, format string, args ...any) {
			res.Problem = &Problem{File: name, Line: lineNo, Seq: seq, Msg: fmt.Sprintf(format, args...)}
		}
		for res.Problem == nil {
			b, err := r.ReadBytes('\n')
			if len(b) == 0 && errors.Is(err, io.EOF) {
				break
			}
			if err != nil && !errors.Is(err, io.EOF) {
				f.Close()
				return res, fmt.Errorf("audit: read %s: %w", name, err)
			}
			lineNo++
			if b[len(b)-1] != '\n' {
				if i == len(segs)-1 {
					break // a write in progress, or a crash Open will repair
				}
				problem(0, "torn line (no final newline) in a segment that is not the last")
				break
			}
			raw := b[:len(b)-1]
			rec, perr := parseLine(raw)
			if perr != nil {
				problem(seqHint(raw), "%v", perr)
				break
			}
			if !havePrev {
				res.FirstSeq = rec.Seq
				if from == "" && rec.Seq == 1 && rec.Prev != zeroHash {
					problem(rec.Seq, "first record's prev is not zero")
					break
				}
			} else {
				if rec.Seq != prevSeq+1 {
					problem(rec.Seq, "seq %d where %d was expected (a record was removed, repeated or moved)", rec.Seq, prevSeq+1)
					break
				}
				if rec.Prev != prevHash {
					problem(rec.Seq, "prev does not match the SHA-256 of %s: that record was altered, or records were removed or inserted", prevWhere)
					break
				}
			}
			if rec.Type == TypeCheckpoint {
				if msg := checkCheckpoint(rec, pub, wantKey, havePrev, prevSeq, prevHash); msg != "" {
					problem(rec.Seq, "%s", msg)
					break
				}
				var cp Checkpoint
				_ = json.Unmarshal(rec.Data, &cp)
				if cp.Every > 0 {
					every = cp.Every
				}
				since = 0
				res.Checkpoints++
			} else {
				since++
				if since > every {
					problem(rec.Seq, "%d records without a signed checkpoint (expected one every %d): tail may have been rewritten", since, every)
					break
				}
			}
			prevSeq, prevHash, havePrev = rec.Seq, hashLine(raw), true
			prevWhere = fmt.Sprintf("%s line %d", name, lineNo)
			res.Records++
			res.LastSeq = rec.Seq
		}
		f.Close()
		if res.Problem != nil {
			return res, nil
		}
	}
	res.UnsignedTail = since
	return res, nil
}

func checkCheckpoint(rec Record, pub ed25519.PublicKey, wantKey string, havePrev bool, prevSeq uint64, prevHash string) string {
	var cp Checkpoint
	if err := json.Unmarshal(rec.Data, &cp); err != nil {
		return "checkpoint data unreadable: " + err.Error()
	}
	if havePrev && (cp.HeadSeq != prevSeq || cp.HeadHash != prevHash) {
		return fmt.Sprintf("checkpoint names head seq %d %.16s…, but the chain before it ends at seq %d %.16s…", cp.HeadSeq, cp.HeadHash, prevSeq, prevHash)
	}
	if cp.KeyID != wantKey {
		return fmt.Sprintf("checkpoint signed with key %s, not the given key %s", cp.KeyID, wantKey)
	}
	sig, err := base64.StdEncoding.DecodeString(cp.Signature)
	if err != nil || !ed25519.Verify(pub, checkpointMessage(cp.HeadSeq, cp.HeadHash), sig) {
		return "checkpoint signature does not verify: the chain before it was rewritten"
	}
	return ""
}

// seqHint pulls a seq out of a line that does not parse, for the report.
func seqHint(raw []byte) uint64 {
	var v struct {
		Seq uint64 `json:"seq"`
	}
	if json.Unmarshal(raw, &v) == nil {
		return v.Seq
	}
	if i := bytes.Index(raw, []byte(`"seq":`)); i >= 0 {
		var n uint64
		for _, c := range raw[i+6:] {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + uint64(c-'0')
		}
		return n
	}
	return 0
}

func segmentsFrom(dir, from string) ([]string, error) {
	segs, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	if from == "" {
		return segs, nil
	}
	for i, s := range segs {
		if s == from {
			return segs[i:], nil
		}
	}
	return nil, fmt.Errorf("audit: no segment %q in %s", from, dir)
}
