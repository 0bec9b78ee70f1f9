package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// cpuTicks prints the user+system CPU time of process pid in clock ticks
// (fields 14 and 15 of /proc/PID/stat; USER_HZ, 100 on Linux).
func cpuTicks(pid string) error {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return fmt.Errorf("benchtool: cputicks: %w", err)
	}
	t, err := parseCPUTicks(string(b))
	if err != nil {
		return err
	}
	fmt.Println(t)
	return nil
}

// parseCPUTicks reads utime+stime from a /proc/PID/stat line. The command
// name (field 2) may hold spaces and parentheses, so fields count from the
// last ')'.
func parseCPUTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("benchtool: cputicks: no ')' in /proc stat line")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("benchtool: cputicks: short /proc stat line")
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("benchtool: cputicks: bad utime/stime")
	}
	return u + s, nil
}
