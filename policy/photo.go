package policy

import "strings"

// cameraPrefixes begin the file names cameras and phones give their photos: the DCF rule
// (JEITA CP-3461: four characters and a four-digit number, "IMG_4471", "DSC_0012",
// "DSCN0012", "DSCF0012", "IMGP0012", "SAM_0012", "CIMG0012", "DCP_0012", "PICT0012",
// "_DSC0012") and the dated names of Android and Pixel phones ("IMG_20261112_091544",
// "PXL_20261112_091544123").
var cameraPrefixes = []string{"img_", "dsc_", "dscn", "dscf", "_dsc", "imgp", "sam_", "cimg", "dcp_", "pict", "pxl_"}

// cameraName reports whether a lower-cased attachment file name is a camera's or a
// phone's name for a photo: a picture of a form, a card or a label taken at a desk,
// however small it was saved. "image001.png" (Outlook's name for an inline logo) and
// "logo2024.png" are not.
func cameraName(name string) bool {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return false
	}
	switch name[dot+1:] {
	case "jpg", "jpeg", "png", "heic", "heif":
	default:
		return false
	}
	base := name[:dot]
	if dated(base) {
		return true // Samsung: "20261112_091544"
	}
	for _, p := range cameraPrefixes {
		if !strings.HasPrefix(base, p) {
			continue
		}
		rest := strings.TrimPrefix(base[len(p):], "e") // iPhone's edited copy: "IMG_E4471"
		if photoNumber(rest) {
			return true
		}
	}
	return false
}

// photoNumber: the number after a camera prefix, four digits alone or before a copy mark
// ("4471", "4471 (1)", "4471_edit"), or a date and time ("20261112_091544").
func photoNumber(s string) bool {
	if len(s) < 4 || !digits(s[:4]) {
		return false
	}
	return len(s) == 4 || strings.IndexByte("_ (-", s[4]) >= 0 || digits(s) || dated(s)
}

// dated: "YYYYMMDD_HHMMSS" at the start.
func dated(s string) bool {
	return len(s) >= 15 && digits(s[:8]) && s[8] == '_' && digits(s[9:15]) && (s[:2] == "19" || s[:2] == "20")
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// cameraPhoto reports whether not-read part i is an attachment with a camera's file name.
func (f *facts) cameraPhoto(i int) bool {
	for _, a := range f.attachments {
		if a.part == i {
			return cameraName(a.name)
		}
	}
	return false
}
