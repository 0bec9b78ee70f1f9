//go:build !linux

package keystore

import "io/fs"

// sysVersion: size and mtime only off Linux.
func sysVersion(fs.FileInfo, *fileVersion) {}
