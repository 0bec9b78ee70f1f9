package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func tableFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "extract", "tables", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDumpTables(t *testing.T) {
	for _, f := range []struct{ ct, name string }{{"text/csv", "patients.csv"}, {"text/csv", "split-ssn.csv"}, {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "patients.xlsx"}, {"text/html", "patients.html"}} {
		o := walkString(t, mimeWithAttachment(f.ct, f.name, tableFixture(t, f.name)), Limits{})
		t.Logf("%s: %q %v", f.name, o.all(), o.reasons())
	}
	_ = strings.Contains
}
