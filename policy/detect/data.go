package detect

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"strings"
)

//go:embed data/*.txt
var dataFS embed.FS

type dictionary struct {
	typ   string
	terms []string
}

// readList reads a data file: one entry per line, '#' starts a comment.
func readList(name string) []string {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		panic("detect: embedded data missing: " + name) // a build defect, not a runtime condition
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 && (i == 0 || line[i-1] == ' ') {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

func shippedDictionaries() []dictionary {
	return []dictionary{
		{TypeCondition, readList("conditions.txt")},
		{TypeMedication, readList("medications.txt")},
		{TypeProcedure, readList("procedures.txt")},
	}
}

// icdTable holds ICD-10-CM categories as block ranges plus a list of common billable codes.
type icdTable struct {
	ranges [][2]string     // inclusive ranges of 3-character categories with a digit 3rd character
	digit  [26 * 100]bool  // the ranges expanded: letter*100 + two digits
	single map[string]bool // categories listed one by one (those ending in a letter, e.g. C7A)
	common map[string]bool // full billable codes without the dot
}

func loadICD() (*icdTable, error) {
	t := &icdTable{single: map[string]bool{}, common: map[string]bool{}}
	for _, l := range readList("icd10cm_blocks.txt") {
		lo, hi, ok := strings.Cut(l, "-")
		if !ok {
			hi = lo
		}
		if len(lo) != 3 || len(hi) != 3 {
			return nil, fmt.Errorf("detect: icd10cm_blocks.txt: bad range %q", l)
		}
		if lo == hi && !isDigit(lo[2]) {
			t.single[lo] = true
			continue
		}
		t.ranges = append(t.ranges, [2]string{lo, hi})
	}
	for _, r := range t.ranges {
		for l := r[0][0]; l <= r[1][0]; l++ {
			for n := 0; n < 100; n++ {
				c := fmt.Sprintf("%c%02d", l, n)
				if c >= r[0] && c <= r[1] {
					t.digit[int(l-'A')*100+n] = true
				}
			}
		}
	}
	for _, c := range readList("icd10cm_common.txt") {
		t.common[strings.ReplaceAll(c, ".", "")] = true
	}
	return t, nil
}

// category reports whether a 3-character code is an ICD-10-CM category in the shipped list.
func (t *icdTable) category(c []byte) bool {
	if len(c) != 3 || !isUpper(c[0]) || !isDigit(c[1]) || !(isDigit(c[2]) || isUpper(c[2])) {
		return false
	}
	if !isDigit(c[2]) {
		return t.single[string(c)]
	}
	return t.digit[int(c[0]-'A')*100+int(c[1]-'0')*10+int(c[2]-'0')]
}
