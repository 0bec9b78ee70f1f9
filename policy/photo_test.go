package policy

import (
	"encoding/base64"
	"testing"
)

func TestCameraNames(t *testing.T) {
	for name, want := range map[string]bool{
		"img_4471.jpg": true, "img_e4471.heic": true, "dsc_0012.jpg": true, "dscn0012.jpg": true,
		"pxl_20261112_091544123.jpg": true, "img_20261112_091544.jpg": true, "20261112_091544.jpg": true,
		"img_4471 (1).jpg": true, "scans/img_0042.png": true,
		"image001.png": false, "logo2024.png": false, "img_4471.pdf": false, "img_logo.png": false,
		"signature.jpg": false, "20261112.jpg": false, "img_44.jpg": false,
	} {
		if got := cameraName(name); got != want {
			t.Errorf("cameraName(%q) = %v, want %v", name, got, want)
		}
	}
}

// A phone photo saved small (a signed order, a card) still matches the shipped
// unread-picture rule from half its 16 KiB floor when a camera named it; a picture of the
// same size with another name (an inline logo) passes, as does a tiny camera-named one.
func TestASmallCameraPhotoIsStillAnUnreadPicture(t *testing.T) {
	msg := func(name string, size int) []byte {
		b := append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, size)...)
		return crlf("From: rn@homehealth.example\nTo: office@homehealth.example\nSubject: order\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=M\n\n--M\nContent-Type: text/plain\n\nsee pic\n" +
			"--M\nContent-Type: image/jpeg\nContent-Disposition: attachment; filename=\"" + name + "\"\n" +
			"Content-Transfer-Encoding: base64\n\n" + base64.StdEncoding.EncodeToString(b) + "\n--M--\n")
	}
	e := DefaultSet().engine(t)
	for _, tc := range []struct {
		name string
		size int
		want string
	}{
		{"IMG_4471.JPG", 12 << 10, "unread-picture"},
		{"PXL_20261201_081512345.jpg", 9 << 10, "unread-picture"},
		{"image001.jpg", 12 << 10, "default"},
		{"IMG_4471.JPG", 4 << 10, "default"},
	} {
		if d := eval(t, e, nil, msg(tc.name, tc.size)); d.Rule != tc.want {
			t.Errorf("%s, %d KiB: rule %s, want %s", tc.name, tc.size>>10, d.Rule, tc.want)
		}
	}
}

// FuzzCameraName: any file name, however hostile, is answered without a panic.
func FuzzCameraName(f *testing.F) {
	for _, s := range []string{"img_4471.jpg", "pxl_20261112_091544123.jpg", ".jpg", "img_.png", "/", "20261112_0915.jpg"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) { cameraName(name) })
}
