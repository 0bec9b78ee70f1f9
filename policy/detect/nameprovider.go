package detect

// providerWords before a name mark a clinician, not a patient.
var providerWords = map[string]bool{
	"dr": true, "drs": true, "doctor": true, "nurse": true, "prof": true, "professor": true,
	"physician": true, "provider": true, "pcp": true, "attending": true, "surgeon": true,
	"clinician": true, "therapist": true, "pharmacist": true, "prescriber": true, "practitioner": true,
	"radiologist": true, "referring": true, "dentist": true, "midwife": true, "rn": true, "np": true,
	"dra": true, "doctora": true, "enfermera": true,
}

// credentials after a name mark a clinician ("Jane Smith, MD"). Case-sensitive, dots removed.
var credentials = map[string]bool{
	"MD": true, "DO": true, "RN": true, "NP": true, "PA": true, "PA-C": true, "DDS": true, "DMD": true,
	"DPM": true, "OD": true, "PhD": true, "PHD": true, "PharmD": true, "APRN": true, "FNP": true,
	"FNP-C": true, "FNP-BC": true, "CRNA": true, "LPN": true, "LVN": true, "CNM": true, "MBBS": true,
	"FACP": true, "FACS": true, "FAAP": true, "LCSW": true, "DNP": true, "MSN": true, "BSN": true,
	"DC": true, "PT": true, "DPT": true, "OT": true, "OTR": true, "RPh": true, "MSW": true, "CNA": true,
	"MA": true, "ANP": true, "ARNP": true, "CNP": true, "DNP-C": true, "MPH": true, "MBA": true,
}

// titleToken reports a clinician's title or credential written as the first word of a
// name chain, without a dot: "Dr", "DR", "Nurse", "NP", "RN", "MA". "PT" is left out: "PT
// Jones" is as often the patient as the physical therapist.
func titleToken(w []byte) bool {
	if len(w) < 2 || len(w) > 12 {
		return false
	}
	if credentials[string(w)] {
		return string(w) != "PT"
	}
	var lw [12]byte
	l := lw[:len(w)]
	for i, c := range w {
		l[i] = c | 0x20
	}
	return providerWords[string(l)]
}

// nameProvider reports a clinician title before the name or a credential after it.
func nameProvider(text []byte, start, end int) bool {
	if w, _, _ := prevWord(text, start); len(w) >= 2 && len(w) <= 12 {
		var lw [12]byte
		l := lw[:len(w)]
		for i, c := range w {
			l[i] = c | 0x20
		}
		if providerWords[string(l)] {
			return true
		}
	}
	p := end
	n := len(text)
	if p < n && text[p] == ',' {
		p++
	}
	for p < n && p-end < 3 && text[p] == ' ' {
		p++
	}
	var cb [12]byte
	c := cb[:0]
	for q := p; q < n && q-p < 12; q++ {
		ch := text[q]
		if ch == '.' {
			continue
		}
		if !isAlpha(ch) && ch != '-' {
			if nameByte(ch) {
				return false
			}
			break
		}
		c = append(c, ch)
	}
	return len(c) >= 2 && credentials[string(c)]
}
