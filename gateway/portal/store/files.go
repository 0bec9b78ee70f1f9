package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sealgate/sealgate/crypto/seal"
	bolt "go.etcd.io/bbolt"
)

const tmpPrefix = ".tmp-"

// writeSealed streams body through seal into path via a temp file that is
// fsynced and renamed; it returns the plaintext size.
func writeSealed(ctx context.Context, path string, key []byte, sealCtx string, body io.Reader) (int64, error) {
	tmp, err := createTemp(path)
	if err != nil {
		return 0, err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w, err := seal.NewWriter(tmp, key, sealCtx)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(w, ctxReader{ctx, body})
	if err != nil {
		return 0, err
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	if err := commitTemp(tmp, path); err != nil {
		return 0, err
	}
	ok = true
	return n, nil
}

// writeFileAtomic writes data to path by temp file, fsync and rename.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := createTemp(path)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := commitTemp(tmp, path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}

func createTemp(path string) (*os.File, error) {
	return os.OpenFile(filepath.Join(filepath.Dir(path), tmpPrefix+filepath.Base(path)),
		os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
}

// commitTemp fsyncs and closes tmp, then renames it to path. The caller
// fsyncs the directory.
func commitTemp(tmp *os.File, path string) error {
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// shredFile overwrites a key file with zeros, fsyncs, and removes it. On
// a copy-on-write filesystem or an SSD the old blocks may survive the
// overwrite; deleting the only wrapped copy is what the design relies on.
func shredFile(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil {
		_, err = f.WriteAt(make([]byte, st.Size()), 0)
	}
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	if rmErr := os.Remove(path); rmErr != nil && err == nil {
		err = rmErr
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	return err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// shred deletes a message's key first (that alone makes the message
// unreadable), then its sealed file.
func (s *DirStore) shred(id string) error {
	err := shredFile(s.keyPath(id))
	if rmErr := removeFile(s.msgPath(id)); rmErr != nil && err == nil {
		err = rmErr
	}
	if err != nil {
		return fmt.Errorf("store: shred %s: %w", id, err)
	}
	return nil
}

// recover removes temp files, files no active record owns (a crash
// between rename and index commit, or between a revoke's commit and its
// shredding), so the disk never keeps a key the index has let go.
func (s *DirStore) recover() error {
	live := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMsgs).ForEach(func(k, v []byte) error {
			rec, err := decodeRecord(s.idx, v)
			if err == nil && rec.State == Active {
				live[rec.ID] = true
			}
			return nil
		})
	})
	if err != nil {
		return fmt.Errorf("store: recover: %w", err)
	}
	if err := recoverDir(filepath.Join(s.dir, "keys"), live, shredFile); err != nil {
		return err
	}
	return recoverDir(filepath.Join(s.dir, "msgs"), live, removeFile)
}

func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func recoverDir(dir string, live map[string]bool, remove func(string) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("store: recover: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if live[name] && !strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		if err := remove(filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("store: recover: remove %s: %w", name, err)
		}
	}
	return nil
}
