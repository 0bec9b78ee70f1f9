package audit

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"testing"
)

// tamperLog writes 20 deliveries with a checkpoint every 5 records, closed
// cleanly: lines 1-5 records, 6 checkpoint, 7-11, 12 checkpoint, ...
func tamperLog(t *testing.T) (dir, seg string, key ed25519.PrivateKey, lines [][]byte) {
	dir = t.TempDir()
	key = newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, CheckpointEvery: 5})
	appendN(t, l, 20, "m")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seg = onlySegment(t, dir)
	lines = readLines(t, seg)
	mustVerify(t, dir, pubOf(key))
	return dir, seg, key, lines
}

// rechain re-encodes lines[from:] with correct prev hashes, as an attacker
// without the key can; sign, if not nil, re-signs checkpoints.
func rechain(t *testing.T, lines [][]byte, from int, sign ed25519.PrivateKey) [][]byte {
	t.Helper()
	out := append([][]byte(nil), lines[:from]...)
	for i := from; i < len(lines); i++ {
		var l line
		if err := json.Unmarshal(lines[i], &l); err != nil {
			t.Fatal(err)
		}
		prevLine := out[len(out)-1]
		var pl line
		json.Unmarshal(prevLine, &pl)
		l.Seq = pl.Seq + 1
		l.Prev = hashLine(prevLine)
		if l.Type == TypeCheckpoint {
			var cp Checkpoint
			json.Unmarshal(l.Data, &cp)
			cp.HeadSeq, cp.HeadHash = pl.Seq, l.Prev
			if sign != nil {
				cp = signCheckpoint(sign, cp.HeadSeq, cp.HeadHash, cp.Every, cp.IntervalSeconds)
			}
			l.Data = mustJSON(cp)
		}
		b, err := marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func verifyOf(t *testing.T, dir string, key ed25519.PrivateKey) VerifyResult {
	t.Helper()
	res, err := Verify(dir, pubOf(key), "")
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestVerifyCatchesOneEditedByte(t *testing.T) {
	dir, seg, key, lines := tamperLog(t)
	name := filepath.Base(seg)
	// Valid JSON after the edit: caught by the next record's prev.
	lines[2] = bytes.Replace(lines[2], []byte("r2@example.org"), []byte("x2@example.org"), 1)
	writeLines(t, seg, lines)
	wantProblem(t, verifyOf(t, dir, key), name, 4, "SHA-256 of "+name+" line 3")

	// Broken JSON: caught on the line itself.
	dir, seg, key, lines = tamperLog(t)
	lines[2][5] = '}'
	writeLines(t, seg, lines)
	wantProblem(t, verifyOf(t, dir, key), filepath.Base(seg), 3, "unparsable")
}

func TestVerifyCatchesADeletedLine(t *testing.T) {
	dir, seg, key, lines := tamperLog(t)
	lines = append(lines[:2:2], lines[3:]...)
	writeLines(t, seg, lines)
	res := verifyOf(t, dir, key)
	wantProblem(t, res, filepath.Base(seg), 3, "seq 4 where 3 was expected")
	if res.Problem.Seq != 4 {
		t.Fatalf("seq %d", res.Problem.Seq)
	}
}

func TestVerifyCatchesSwappedLines(t *testing.T) {
	dir, seg, key, lines := tamperLog(t)
	lines[7], lines[8] = lines[8], lines[7]
	writeLines(t, seg, lines)
	wantProblem(t, verifyOf(t, dir, key), filepath.Base(seg), 8, "seq 9 where 8 was expected")
}

func TestVerifyCatchesARewrittenTailWithRecomputedChain(t *testing.T) {
	dir, seg, key, lines := tamperLog(t)
	// Truncate after line 8 and write a different tail, chain recomputed,
	// checkpoints kept in place but not re-signable without the key.
	tail := [][]byte{}
	for _, l := range lines[8:] {
		tail = append(tail, bytes.ReplaceAll(l, []byte(`"outcome":"delivered"`), []byte(`"outcome":"bounced"`)))
	}
	writeLines(t, seg, rechain(t, append(lines[:8:8], tail...), 8, nil))
	wantProblem(t, verifyOf(t, dir, key), filepath.Base(seg), 12, "signature does not verify")
}

func TestVerifyCatchesARewrittenTailWithoutCheckpoints(t *testing.T) {
	dir, seg, key, lines := tamperLog(t)
	var tail [][]byte
	for _, l := range lines[8:] {
		if !bytes.Contains(l, []byte(`"type":"checkpoint"`)) {
			tail = append(tail, l)
		}
	}
	writeLines(t, seg, rechain(t, append(lines[:8:8], tail...), 8, nil))
	// Lines 7..: 7,8 kept, then 9.. records without a checkpoint; the 6th
	// record since the checkpoint on line 6 is line 12.
	wantProblem(t, verifyOf(t, dir, key), filepath.Base(seg), 12, "records without a signed checkpoint")
}

func TestVerifyCatchesATailReSignedWithAnotherKey(t *testing.T) {
	dir, seg, key, lines := tamperLog(t)
	other := newKey(t)
	lines[9] = bytes.Replace(lines[9], []byte("m0009"), []byte("m9999"), 1)
	writeLines(t, seg, rechain(t, lines, 9, other))
	wantProblem(t, verifyOf(t, dir, key), filepath.Base(seg), 12, "signed with key "+KeyID(pubOf(other)))
}

func TestVerifyReportsTornLineInsideTheChain(t *testing.T) {
	dir := t.TempDir()
	key := newKey(t)
	l := mustOpen(t, Options{Dir: dir, SigningKey: key, SegmentMaxBytes: 1000})
	appendN(t, l, 10, "m")
	l.Close()
	segs := segFiles(t, dir)
	first := filepath.Join(dir, segs[0])
	lines := readLines(t, first)
	writeLines(t, first, lines)
	// Drop the final newline of a non-last segment.
	b := bytes.Join(lines, []byte("\n"))
	if err := writeFileBytes(first, b); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, verifyOf(t, dir, key), segs[0], len(lines), "torn line")
}

func TestVerifyRefusesWrongKey(t *testing.T) {
	dir, _, _, _ := tamperLog(t)
	res, err := Verify(dir, pubOf(newKey(t)), "")
	if err != nil || res.Problem == nil {
		t.Fatalf("%+v %v", res, err)
	}
}
