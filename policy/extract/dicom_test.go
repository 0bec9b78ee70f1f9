package extract

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFixture(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata", "extract"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Before: DICOM was an unknown binary, skipped as "no text".
func TestDICOMPatientFieldsAreLabelled(t *testing.T) {
	for _, name := range []string{"patient.dcm", "patient-implicit.dcm", "patient-bigendian.dcm",
		"patient-deflated.dcm", "patient-undefined.dcm", "patient-implicit-undefined.dcm"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, "dicom", name)
			for _, ct := range []string{"application/dicom", "application/octet-stream"} {
				o := walkString(t, mimeWithAttachment(ct, "IMG0001", data), Limits{})
				if len(o.res.Unscannable) != 0 {
					t.Errorf("%s: unscannable = %v", ct, o.res.Unscannable)
				}
				all := o.all()
				for _, want := range []string{
					"patient name: Deborah Q Testcase\n",
					"MRN: MRN-4471902\n",
					"DOB: 09/17/1962\n",
					"MRN: 883301276\n",
					"MRN: EHR-77310459\n", // inside Other Patient IDs Sequence
					"accession number: ACC20240115-0042\n",
					"institution: Lakeside Radiology Center\n",
					"referring physician: Dr. Adaeze Okafor\n",
					"study description: MRI brain with contrast - suspected glioblastoma\n",
					"patient comments: Patient SSN on referral 512-48-3901, Jürgen relative\n",
				} {
					if !strings.Contains(all, want) {
						t.Errorf("%s: missing %q in %q", ct, want, all)
					}
				}
				if strings.Contains(all, "1.2.826.0.1.3680043") {
					t.Errorf("UIDs should not be scanned: %q", all)
				}
			}
		})
	}
}

func TestDICOMStopsAtPixelData(t *testing.T) {
	data := readFixture(t, "dicom", "patient.dcm")
	// Declare a huge pixel data element: the reader must stop at its header
	// and neither load it nor call the file cut.
	i := strings.Index(string(data), "\xe0\x7f\x10\x00OB")
	if i < 0 {
		t.Fatal("no pixel data in fixture")
	}
	big := append([]byte(nil), data[:i+12]...)
	big[i+8], big[i+9], big[i+10], big[i+11] = 0, 0, 0, 0x40 // 1 GiB
	o := walkString(t, mimeWithAttachment("application/dicom", "x.dcm", big), Limits{})
	if len(o.res.Unscannable) != 0 || !strings.Contains(o.all(), "MRN: MRN-4471902") {
		t.Errorf("unscannable %v, text %q", o.res.Unscannable, o.all())
	}
}

func TestTruncatedDICOMIsDecodeUnscannable(t *testing.T) {
	data := readFixture(t, "dicom", "patient.dcm")
	i := strings.Index(string(data), "Lakeside")
	o := walkString(t, mimeWithAttachment("application/dicom", "x.dcm", data[:i+3]), Limits{})
	if !o.hasReason(ReasonDecode) {
		t.Errorf("reasons = %v", o.reasons())
	}
}

func FuzzDICOM(f *testing.F) {
	f.Add(readFixture(f, "dicom", "patient.dcm"))
	f.Add(readFixture(f, "dicom", "patient-implicit-undefined.dcm"))
	f.Add(readFixture(f, "dicom", "patient-deflated.dcm"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &Part{Index: 1, Kind: KindAttachment}
		w := &walker{ctx: t.Context(), parent: t.Context(), lim: Limits{MaxPartBytes: 1 << 20}.withDefaults(), fn: func(p *Part) error { _, err := p.Text.Read(make([]byte, 1<<16)); _ = err; return nil }}
		w.dicom(strings.NewReader(string(b)), p)
	})
}

func TestDICOMFromImg2dcmIsRead(t *testing.T) {
	o := walkString(t, mimeWithAttachment("application/dicom", "photo.dcm", readFixture(t, "dicom", "photo-jpeg.dcm")), Limits{})
	all := o.all()
	for _, want := range []string{"patient name: Jane Q Testcase\n", "MRN: 4471902\n", "DOB: 04/26/1946\n", "study description: Dermatology photo - metastatic melanoma\n"} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in %q", want, all)
		}
	}
	if len(o.res.Unscannable) != 0 {
		t.Errorf("unscannable = %v", o.res.Unscannable)
	}
}

// A 20 MB DICOM (a CT-sized pixel payload): the text fields are read and
// the pixel data is not, so the cost is that of decoding the base64 only.
func BenchmarkWalkDICOM20MB(b *testing.B) {
	data := readFixture(b, "dicom", "patient.dcm")
	i := strings.Index(string(data), "\xe0\x7f\x10\x00OB")
	big := append(append([]byte(nil), data[:i+8]...), 0, 0, 0x40, 0x01) // 20 MiB of pixel data
	big = append(big, make([]byte, 20<<20)...)
	benchWalk(b, mimeWithAttachment("application/dicom", "ct.dcm", big))
}
