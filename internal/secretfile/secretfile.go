// Package secretfile reads private key material from disk the one safe
// way: open once, check the open file (a regular file, no permission for
// group or others), then read at most a bounded size from that same file,
// so a chmod or a swap between check and read changes nothing.
package secretfile

import (
	"fmt"
	"io"
	"os"
)

// Read returns the contents of path, refusing anything but a private
// regular file of at most limit bytes.
func Read(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%s: mode %04o is readable by group or others; chmod 600 it", path, perm)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}
