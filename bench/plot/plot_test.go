package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `series,server,variant,x,n,acc_msg_s,e2e_msg_s,acc_mb_s,e2e_mb_s,p50_ms,p99_ms,load1
sessions,sealgate,reuse 100,1,100,50,40,0.5,0.4,20,30,1.0
sessions,sealgate,reuse 100,20,100,300,250,3,2.5,60,90,1.0
sessions,postfix,reuse 100,1,100,80,70,0.8,0.7,10,20,1.0
sessions,postfix,reuse 100,20,100,-,-,-,-,-,-,1.0
sizes,sealgate,,1,100,400,300,0.4,0.3,5,9,1.2
sizes,sealgate,,1024,100,10,9,10,9,50,90,1.2
`

func TestPlotWritesOnePNGPerSeriesPresent(t *testing.T) {
	rows, err := readCSV(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	if _, ok := rows[3].Values["e2e_msg_s"]; ok {
		t.Error(`"-" read as a number`)
	}
	dir := t.TempDir()
	for _, c := range charts() {
		path := filepath.Join(dir, "bench-"+c.series+".png")
		ok, err := draw1(rows, c, path)
		if err != nil {
			t.Fatal(err)
		}
		if want := c.series != "rcpts"; ok != want {
			t.Fatalf("%s: drawn %v, want %v", c.series, ok, want)
		}
		if !ok {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("%s: not a usable PNG: %v", path, err)
		}
	}
}

func TestPlotRefusesAForeignHeader(t *testing.T) {
	if _, err := readCSV(strings.NewReader("a,b,c\n1,2,3\n")); err == nil {
		t.Fatal("accepted a CSV without series,server,variant,x")
	}
}
