package keystore

import (
	"io/fs"
	"syscall"
)

// sysVersion adds the inode (a replaced file) and ctime to v.
func sysVersion(fi fs.FileInfo, v *fileVersion) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		v.dev, v.ino = uint64(st.Dev), st.Ino
		v.ctime = st.Ctim.Nano()
	}
}
