// Command plot draws bench/curves.sh's CSV as PNG curves, one file per
// series (sessions, sizes, rcpts), so an admin can see where throughput
// bends:
//
//	go run ./bench/plot -csv bench/out/curves.csv -out docs
//
// writes docs/bench-sessions.png, docs/bench-sizes.png, docs/bench-rcpts.png
// for the series present in the CSV. Lines are per server and variant
// (reuse, encryption); failed points ("-") are left out.
package main

import (
	"cmp"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Row is one point of the CSV.
type Row struct {
	Series, Server, Variant string
	X                       float64
	Values                  map[string]float64 // by column name; absent when "-"
}

// chart says how one series is drawn.
type chart struct {
	series, title, xLabel string
	yCols                 []string // one line per (server, variant, column)
	yLabel                string
	logX                  bool
}

// charts are the PNGs plot knows how to draw.
func charts() []chart {
	return []chart{
		{"sessions", "Throughput by concurrent sessions (10 KB messages)", "SMTP sessions", []string{"e2e_msg_s", "acc_msg_s"}, "msg/s (solid: end to end, dashed: accepted)", true},
		{"sizes", "Throughput by message size (20 sessions, reuse 100)", "message size (KB)", []string{"e2e_mb_s", "acc_mb_s"}, "MB/s (solid: end to end, dashed: accepted)", true},
		{"rcpts", "Throughput by recipients per message (10 KB)", "recipients per message", []string{"e2e_msg_s", "acc_msg_s"}, "messages/s (solid: end to end, dashed: accepted)", true},
	}
}

// readCSV parses the curves CSV: a header naming series, server, variant,
// x, then numeric columns.
func readCSV(r io.Reader) ([]Row, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("plot: header: %w", err)
	}
	if len(head) < 4 || !slices.Equal(head[:4], []string{"series", "server", "variant", "x"}) {
		return nil, errors.New("plot: header must start with series,server,variant,x")
	}
	var rows []Row
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("plot: line %d: %w", line, err)
		}
		x, err := strconv.ParseFloat(rec[3], 64)
		if err != nil {
			return nil, fmt.Errorf("plot: line %d: x %q is not a number", line, rec[3])
		}
		row := Row{Series: rec[0], Server: rec[1], Variant: rec[2], X: x, Values: map[string]float64{}}
		for i := 4; i < len(rec); i++ {
			if v, err := strconv.ParseFloat(rec[i], 64); err == nil {
				row.Values[head[i]] = v
			}
		}
		rows = append(rows, row)
	}
}

// lines groups a series' rows into named XY lines, in first-seen order.
func lines(rows []Row, c chart) (names []string, xys map[string]plotter.XYs) {
	xys = map[string]plotter.XYs{}
	for _, col := range c.yCols {
		for _, r := range rows {
			if r.Series != c.series {
				continue
			}
			v, ok := r.Values[col]
			if !ok {
				continue
			}
			name := r.Server
			if r.Variant != "" {
				name += " " + r.Variant
			}
			if col != c.yCols[0] {
				name += " (accepted)"
			}
			if _, seen := xys[name]; !seen {
				names = append(names, name)
			}
			xys[name] = append(xys[name], plotter.XY{X: r.X, Y: v})
		}
	}
	for _, n := range names {
		slices.SortFunc(xys[n], func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
	}
	return names, xys
}

// colour i of a chart's lines.
func colour(i int) color.Color {
	p := []color.Color{
		color.RGBA{0x1f, 0x77, 0xb4, 0xff}, color.RGBA{0xd6, 0x27, 0x28, 0xff},
		color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, color.RGBA{0xff, 0x7f, 0x0e, 0xff},
		color.RGBA{0x94, 0x67, 0xbd, 0xff}, color.RGBA{0x8c, 0x56, 0x4b, 0xff},
	}
	return p[i%len(p)]
}

func draw1(rows []Row, c chart, path string) (bool, error) {
	names, xys := lines(rows, c)
	if len(names) == 0 {
		return false, nil
	}
	p := plot.New()
	p.Title.Text = c.title
	p.X.Label.Text = c.xLabel
	p.Y.Label.Text = c.yLabel
	p.Y.Min = 0
	if c.logX {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	p.Legend.Top = true
	p.Add(plotter.NewGrid())
	base := map[string]int{} // the accepted line takes its end-to-end line's colour
	for _, n := range names {
		l, pts, err := plotter.NewLinePoints(xys[n])
		if err != nil {
			return false, fmt.Errorf("plot: %s: %w", n, err)
		}
		key, dashed := n, false
		if k, ok := cutSuffix(n, " (accepted)"); ok {
			key, dashed = k, true
		}
		i, ok := base[key]
		if !ok {
			i = len(base)
			base[key] = i
		}
		col := colour(i)
		l.Color, pts.Color = col, col
		pts.Shape = draw.CircleGlyph{}
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		} else {
			p.Legend.Add(key, l, pts)
		}
		p.Add(l, pts)
	}
	// Head room above the highest point, so the legend covers no line.
	p.Y.Max *= 1.35
	return true, p.Save(7*vg.Inch, 4.5*vg.Inch, path)
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

func main() {
	in := flag.String("csv", "bench/out/curves.csv", "the CSV bench/curves.sh wrote")
	out := flag.String("out", "docs", "directory for bench-<series>.png")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		fail(fmt.Errorf("plot: %w", err))
	}
	rows, err := readCSV(f)
	f.Close()
	if err != nil {
		fail(err)
	}
	for _, c := range charts() {
		path := filepath.Join(*out, "bench-"+c.series+".png")
		ok, err := draw1(rows, c, path)
		if err != nil {
			fail(err)
		}
		if ok {
			fmt.Println("plot: wrote", path)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
