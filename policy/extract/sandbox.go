package extract

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Helper tools (poppler's pdftotext/pdfimages/pdftoppm, tesseract) parse
// hostile input in native code, so each run is confined:
//   - a clean environment (PATH, LANG, TMPDIR and the caller's extras only),
//   - stdin from the caller or /dev/null, the document as an already
//     unlinked file on fd 3 (/dev/fd/3), nothing else inherited,
//   - a private, empty working and temp directory, removed afterwards,
//   - its own process group, killed whole when the deadline passes, the
//     reader stops or the daemon dies (Pdeathsig),
//   - address-space, CPU-time, file-size and process-count rlimits set by
//     util-linux prlimit(1) before the tool is exec'd (os/exec has no rlimit
//     field, and a limit set after the start would race the tool).

// lookTool finds a helper by name; tests replace it to simulate a missing tool.
var lookTool = exec.LookPath

// toolSpec is one limited run.
type toolSpec struct {
	name    string   // tool name, looked up in PATH
	args    []string // arguments; the document, if any, is /dev/fd/3
	doc     *os.File // passed as fd 3, or nil
	stdin   io.Reader
	env     []string      // extra environment, KEY=VALUE
	timeout time.Duration // wall clock; CPU limit is the same in seconds
	memory  int64         // address-space limit in bytes
	// stdout receives the tool's output while it runs. If it returns
	// before EOF the tool is killed (nothing more will be read).
	stdout func(io.Reader) error
}

// toolResult says how a run ended.
type toolResult struct {
	exitCode int // -1 when killed by a signal
	signal   syscall.Signal
	timedOut bool   // our deadline (or the caller's context) ended it
	stopped  bool   // killed because the reader stopped before EOF
	stderr   []byte // at most 8 KiB, for classifying failures only (never logged: it may quote content)
}

// errToolMissing means the helper (or prlimit) is not installed.
var errToolMissing = errors.New("helper tool not installed")

// runTool runs spec under the limits. The error is errToolMissing, a setup
// failure, or what spec.stdout returned; how the tool itself ended is in
// the result.
func runTool(ctx context.Context, spec toolSpec) (toolResult, error) {
	res := toolResult{exitCode: -1}
	tool, err := lookTool(spec.name)
	if err != nil {
		return res, errToolMissing
	}
	prlimit, err := lookTool("prlimit")
	if err != nil {
		return res, errToolMissing
	}
	dir, err := os.MkdirTemp("", "sealgate-tool-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	cpu := int64(spec.timeout/time.Second) + 1
	args := []string{
		"--as=" + strconv.FormatInt(spec.memory, 10),
		"--cpu=" + strconv.FormatInt(cpu, 10),
		"--fsize=" + strconv.FormatInt(64<<20, 10), // it has no business writing files
		"--core=0",
		"--nproc=4096", // per user: bounds a fork bomb only loosely, the group kill does the rest
		"--", tool}
	args = append(args, spec.args...)
	tctx, cancel := context.WithTimeout(ctx, spec.timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, prlimit, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=" + dir, "TMPDIR=" + dir}, spec.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	if spec.doc != nil {
		cmd.ExtraFiles = []*os.File{spec.doc}
	}
	cmd.Stdin = spec.stdin // nil is /dev/null
	var stderr limitedBuffer
	stderr.max = 8 << 10
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return res, err
	}
	if err := cmd.Start(); err != nil {
		return res, err
	}
	er := &eofReader{r: out}
	var ferr error
	if spec.stdout != nil {
		ferr = spec.stdout(er)
	}
	if !er.eof {
		// The reader stopped early: what is left is not wanted, so stop the
		// tool rather than wait for it.
		res.stopped = true
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	_, _ = io.Copy(io.Discard, out)
	werr := cmd.Wait()
	res.stderr = stderr.Bytes()
	res.timedOut = tctx.Err() != nil
	if cmd.ProcessState != nil {
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
			switch {
			case ws.Exited():
				res.exitCode = ws.ExitStatus()
			case ws.Signaled():
				res.signal = ws.Signal()
			}
		}
	}
	if ferr != nil {
		return res, ferr
	}
	if werr != nil && cmd.ProcessState == nil {
		return res, werr
	}
	return res, nil
}

// eofReader records whether its reader reached EOF.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

// limitedBuffer keeps the first max bytes written and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// spoolTemp copies r (at most max bytes) into a temp file that is unlinked
// at once: helpers read it as /dev/fd/3 and nothing stays on disk, even if
// the daemon dies. over reports that r held more than max bytes.
func spoolTemp(r io.Reader, max int64) (f *os.File, over bool, err error) {
	f, err = os.CreateTemp("", "sealgate-doc-")
	if err != nil {
		return nil, false, unscannable(ReasonInternal, err)
	}
	_ = os.Remove(f.Name())
	n, err := io.Copy(f, io.LimitReader(r, max+1))
	if err != nil {
		f.Close()
		return nil, false, err
	}
	if n > max {
		f.Close()
		return nil, true, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, false, unscannable(ReasonInternal, err)
	}
	return f, false, nil
}

// MissingHelpers names the helper tools that lim needs and that are not
// installed, for start-up checks: without them PDFs (and, with OCR on,
// images and scans) are "tool_missing", which the default policy treats as
// PHI.
func MissingHelpers(lim Limits) []string {
	need := []string{"prlimit", "pdftotext", "pdfimages", "pdftoppm"}
	if lim.OCR.Enabled {
		need = append(need, "tesseract")
	}
	var missing []string
	for _, t := range need {
		if _, err := lookTool(t); err != nil {
			missing = append(missing, t)
		}
	}
	return missing
}
