// Command enginebench measures the two PDF text engines considered for
// policy/extract on the corpus beside it: pdfium compiled to WebAssembly
// (github.com/klippa-app/go-pdfium, run by wazero) and poppler's pdftotext
// as a subprocess. It is a separate module so the product does not depend
// on go-pdfium. Usage: go run . [-engine pdfium|pdftotext] [-n N] files...
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	sgextract "github.com/sealgate/sealgate/policy/extract"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

func main() {
	engine := flag.String("engine", "pdfium", "pdfium, pdftotext, or walk (sealgate's extract.Walk: pdftotext in its sandbox)")
	ocr := flag.Bool("ocr", false, "walk: OCR on")
	n := flag.Int("n", 5, "runs per file")
	cache := flag.String("cache", "", "wazero compilation cache dir (pdfium)")
	interp := flag.Bool("interp", false, "wazero interpreter instead of compiler")
	show := flag.Bool("show", false, "print the extracted text of each file once")
	flag.Parse()

	var extract func([]byte) (string, error)
	switch *engine {
	case "pdfium":
		rc := wazero.NewRuntimeConfig()
		if *interp {
			rc = wazero.NewRuntimeConfigInterpreter()
		}
		rc = rc.WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).WithMemoryLimitPages(4096) // 256 MiB
		if *cache != "" {
			c, err := wazero.NewCompilationCacheWithDir(*cache)
			if err != nil {
				panic(err)
			}
			rc = rc.WithCompilationCache(c)
		}
		t0 := time.Now()
		pool, err := webassembly.Init(webassembly.Config{MinIdle: 1, MaxIdle: 1, MaxTotal: 1, RuntimeConfig: rc, FSConfig: wazero.NewFSConfig()})
		if err != nil {
			panic(err)
		}
		inst, err := pool.GetInstance(30 * time.Second)
		if err != nil {
			panic(err)
		}
		fmt.Printf("pdfium init (compile + first instance): %v\n", time.Since(t0))
		extract = func(b []byte) (string, error) { return pdfiumText(inst, b) }
	case "walk":
		extract = func(b []byte) (string, error) { return walkText(b, *ocr) }
	case "pdftotext":
		extract = func(b []byte) (string, error) {
			cmd := exec.Command("pdftotext", "-q", "-enc", "UTF-8", "-", "-")
			cmd.Stdin = bytes.NewReader(b)
			cmd.Env = []string{}
			out, err := cmd.Output()
			return string(out), err
		}
	}
	for _, f := range flag.Args() {
		b, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var txt string
		var terr error
		t0, c0 := time.Now(), cpuTime()
		for i := 0; i < *n; i++ {
			txt, terr = extract(b)
		}
		per := time.Since(t0) / time.Duration(*n)
		cpu := (cpuTime() - c0) / time.Duration(*n)
		ok := "ssn-found=" + fmt.Sprint(strings.Contains(txt, "-48-3901") || strings.Contains(txt, "-45-6677") || strings.Contains(txt, "-71-2290") || strings.Contains(txt, "-18-7623") || strings.Contains(txt, "-27-4408"))
		fmt.Printf("%-28s %8d B  wall %10v  cpu %10v  %7d chars  %s err=%v\n", filepath.Base(f), len(b), per.Round(10*time.Microsecond), cpu.Round(10*time.Microsecond), len(txt), ok, terr)
		if *show {
			fmt.Println(txt)
		}
	}
	fmt.Printf("peak RSS (VmHWM): %s\n", hwm())
}

// walkText runs the product's extractor on a message carrying the file.
// The message is written to a temp file and read from there, and the text
// is counted, not kept, so VmHWM is the extractor's own memory.
func walkText(b []byte, ocr bool) (string, error) {
	ctype := "application/pdf"
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		ctype = "image/png"
	}
	f, err := os.CreateTemp("", "enginebench-*.eml")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriter(f)
	bw.WriteString("From: a@example.org\r\nTo: b@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: " + ctype + "\r\nContent-Disposition: attachment; filename=f\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	const line = 57 // 76 base64 characters
	for i := 0; i < len(b); i += line {
		bw.WriteString(base64.StdEncoding.EncodeToString(b[i:min(i+line, len(b))]) + "\r\n")
	}
	bw.WriteString("--b--\r\n")
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	var n int64
	var head []byte // enough to check for the SSN in small files
	res, err := sgextract.Walk(context.Background(), bufio.NewReader(f), sgextract.Limits{OCR: sgextract.OCR{Enabled: ocr}}, func(p *sgextract.Part) error {
		buf := make([]byte, 32<<10)
		for {
			k, err := p.Text.Read(buf)
			n += int64(k)
			if len(head) < 64<<10 {
				head = append(head, buf[:k]...)
			}
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err == nil && len(res.Unscannable) > 0 {
		err = fmt.Errorf("unscannable %v", res.Unscannable)
	}
	return string(head) + strings.Repeat(" ", int(max(0, n-int64(len(head))))), err
}

func pdfiumText(inst pdfium.Pdfium, b []byte) (string, error) {
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &b})
	if err != nil {
		return "", err
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for i := 0; i < pc.PageCount; i++ {
		t, err := inst.GetPageText(&requests.GetPageText{Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: i}}})
		if err != nil {
			return sb.String(), err
		}
		sb.WriteString(t.Text)
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}

// cpuTime is user+system time of this process and its waited-for children.
func cpuTime() time.Duration {
	var t time.Duration
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			t += time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		}
	}
	return t
}

func hwm() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}
