// Command enginebench measures the two PDF text engines considered for
// policy/extract on the corpus beside it: pdfium compiled to WebAssembly
// (github.com/klippa-app/go-pdfium, run by wazero) and poppler's pdftotext
// as a subprocess. It is a separate module so the product does not depend
// on go-pdfium. Usage: go run . [-engine pdfium|pdftotext] [-n N] files...
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

func main() {
	engine := flag.String("engine", "pdfium", "pdfium or pdftotext")
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
		t0 := time.Now()
		for i := 0; i < *n; i++ {
			txt, terr = extract(b)
		}
		per := time.Since(t0) / time.Duration(*n)
		ok := "ssn-found=" + fmt.Sprint(strings.Contains(txt, "-48-3901") || strings.Contains(txt, "-45-6677") || strings.Contains(txt, "-71-2290") || strings.Contains(txt, "-18-7623"))
		fmt.Printf("%-32s %8d B  %10v/file  %7d chars  %s err=%v\n", f, len(b), per.Round(10*time.Microsecond), len(txt), ok, terr)
		if *show {
			fmt.Println(txt)
		}
	}
	fmt.Printf("peak RSS (VmHWM): %s\n", hwm())
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

func hwm() string {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}
