package detect

import (
	"bytes"
	"encoding/binary"
	"sort"
	"unicode/utf8"
)

// Chinese, Japanese and Korean text, as interpreters, community health workers and
// patients write it: the Aho-Corasick alphabet is ASCII only, and these scripts put no
// spaces between words, so a small pass of its own finds their label words, dictionary
// terms and names. It runs only when the text holds a Han, kana or Hangul character, so
// English mail pays one byte loop.

type cjkTerm struct {
	term string
	typ  string // a dictionary type, or "" for a context word
	ctx  uint64
}

var cjkTerms = []cjkTerm{
	// Labels: patient, name, date of birth, record number.
	{"病人", "", ctxPatient | ctxPt}, {"患者", "", ctxPatient | ctxPt}, {"病患", "", ctxPatient | ctxPt},
	{"姓名", "", ctxPatient}, {"환자", "", ctxPatient | ctxPt}, {"환자명", "", ctxPatient | ctxPt},
	{"성명", "", ctxPatient}, {"수진자", "", ctxPatient | ctxPt},
	{"出生日期", "", ctxDOB}, {"出生年月日", "", ctxDOB}, {"生年月日", "", ctxDOB}, {"生日", "", ctxDOB},
	{"생년월일", "", ctxDOB}, {"생일", "", ctxDOB},
	{"病历号", "", ctxMRN}, {"病歷號", "", ctxMRN}, {"病案号", "", ctxMRN}, {"병록번호", "", ctxMRN},
	{"诊断", "", ctxDx}, {"診斷", "", ctxDx}, {"진단", "", ctxDx},
	// Conditions.
	{"乙肝", TypeCondition, 0}, {"乙型肝炎", TypeCondition, 0}, {"丙肝", TypeCondition, 0},
	{"肺结核", TypeCondition, 0}, {"肺結核", TypeCondition, 0}, {"结核病", TypeCondition, 0},
	{"糖尿病", TypeCondition, 0}, {"高血压", TypeCondition, 0}, {"高血壓", TypeCondition, 0},
	{"抑郁症", TypeCondition, 0}, {"憂鬱症", TypeCondition, 0}, {"艾滋病", TypeCondition, 0},
	{"肝癌", TypeCondition, 0}, {"肺癌", TypeCondition, 0}, {"乳腺癌", TypeCondition, 0},
	{"乳癌", TypeCondition, 0}, {"胃癌", TypeCondition, 0}, {"中风", TypeCondition, 0},
	{"결핵", TypeCondition, 0}, {"당뇨", TypeCondition, 0}, {"고혈압", TypeCondition, 0},
	{"간염", TypeCondition, 0}, {"우울증", TypeCondition, 0}, {"치매", TypeCondition, 0},
	{"유방암", TypeCondition, 0}, {"위암", TypeCondition, 0}, {"간암", TypeCondition, 0},
	{"폐암", TypeCondition, 0}, {"뇌졸중", TypeCondition, 0}, {"콜레스테롤", TypeCondition, 0},
	{"糖尿", TypeCondition, 0}, {"認知症", TypeCondition, 0},
	// Tests and procedures.
	{"化疗", TypeProcedure, 0}, {"化療", TypeProcedure, 0}, {"痰涂片", TypeProcedure, 0},
	{"透析", TypeProcedure, 0}, {"항암", TypeProcedure, 0}, {"투석", TypeProcedure, 0},
	{"공복혈당", TypeProcedure, 0}, {"건강검진", TypeProcedure, 0},
	{"免疫球蛋白", TypeMedication, 0}, {"替诺福韦", TypeMedication, 0}, {"二甲双胍", TypeMedication, 0},
	{"胰岛素", TypeMedication, 0}, {"胰島素", TypeMedication, 0}, {"异烟肼", TypeMedication, 0},
	{"利福平", TypeMedication, 0}, {"콘서타", TypeMedication, 0}, {"메트포르민", TypeMedication, 0},
	{"인슐린", TypeMedication, 0},
}

// hanSurnames and hangulSurnames are the commonest family names (each covers most people
// of its tradition); a name in these scripts is written family name first.
var hanSurnames = runeSet("王李张張刘劉陈陳杨楊黄黃赵趙吴吳周徐孙孫马馬朱胡郭何林高罗羅郑鄭梁谢謝宋唐许許韩韓冯馮邓鄧曹彭曾肖萧蕭田董潘袁蔡蒋蔣余于杜叶葉程魏苏蘇吕呂丁任沈姚卢盧姜崔钟鍾谭譚陆陸汪范金石廖贾賈夏韦韋傅方邹鄒熊白孟秦邱侯江尹薛闫段雷龙龍黎史陶贺賀毛郝顾顧龚龔邵万萬覃武钱錢戴严嚴莫孔向常汤湯康易乔喬賴赖文")
var hangulSurnames = runeSet("김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉")

// hangulTitles end in the honorific 님 as a name would but are roles: 선생님, 원장님.
var hangulTitles = map[string]bool{
	"선생": true, "원장": true, "부장": true, "사장": true, "이사": true, "차장": true, "소장": true,
	"반장": true, "고객": true, "주민": true, "부모": true, "기사": true, "간사": true, "회장": true,
	"위원": true, "과장": true, "실장": true, "팀장": true, "국장": true, "대표": true, "교수": true,
	"목사": true, "전도사": true, "장로": true, "권사": true, "집사": true, "형제": true, "자매": true,
	"신부": true, "수녀": true, "어머": true, "아버": true, "할머": true, "할아버": true, "보호자": true,
	"환자": true, "선배": true, "후배": true, "여러분": true, "담당자": true, "간호사": true,
}

func runeSet(s string) map[rune]bool {
	m := map[rune]bool{}
	for _, r := range s {
		m[r] = true
	}
	return m
}

func isHan(r rune) bool    { return r >= 0x4E00 && r <= 0x9FFF }
func isHangul(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

// hasCJK reports whether text holds a three-byte UTF-8 sequence of the kana, Han or
// Hangul blocks (lead bytes E3 to ED).
func hasCJK(text []byte) bool {
	i := 0
	// ASCII text, eight bytes at a time: only a byte with its high bit set can matter.
	for ; i+8 <= len(text); i += 8 {
		if binary.LittleEndian.Uint64(text[i:])&0x8080808080808080 == 0 {
			continue
		}
		for _, c := range text[i : i+8] {
			if c >= 0xE3 && c <= 0xED {
				return true
			}
		}
	}
	for _, c := range text[i:] {
		if c >= 0xE3 && c <= 0xED {
			return true
		}
	}
	return false
}

// cjkContext adds the CJK label words to ci, kept sorted by end, and returns the
// dictionary hits.
func cjkContext(text []byte, ci *ctxIndex, dict []hit) []hit {
	added := false
	for _, t := range cjkTerms {
		pat := []byte(t.term)
		for off := 0; ; {
			i := bytes.Index(text[off:], pat)
			if i < 0 {
				break
			}
			st, en := off+i, off+i+len(pat)
			off = en
			if t.typ != "" {
				dict = append(dict, hit{typ: t.typ, start: st, end: en})
				ci.hits = append(ci.hits, ctxHit{start: st, end: en, kind: ctxClinical})
				ci.kinds |= ctxClinical
			} else {
				ci.hits = append(ci.hits, ctxHit{start: st, end: en, kind: t.ctx})
				ci.kinds |= t.ctx
			}
			added = true
		}
	}
	if added {
		sort.SliceStable(ci.hits, func(i, j int) bool { return ci.hits[i].end < ci.hits[j].end })
	}
	return dict
}

// cjkNames finds names written in Han or Hangul: the run of two to four characters right
// after a patient label and a colon ("病人: 陈秀兰"), after "我是" (I am), or before the
// Korean honorific 님 or 씨 ("김영수 님은"), with a common family name first.
func cjkNames(text []byte, ci *ctxIndex, emit func(hit)) {
	for _, h := range ci.hits {
		if h.kind&ctxPatient == 0 || h.end >= len(text) || text[h.start] < 0xE3 {
			continue
		}
		p := h.end
		colon := false
		for p < len(text) {
			if text[p] == ':' {
				colon = true
				p++
			} else if bytes.HasPrefix(text[p:], []byte("：")) {
				colon = true
				p += len("：")
			} else if text[p] == ' ' || text[p] == '\t' {
				p++
			} else {
				break
			}
		}
		if !colon {
			continue
		}
		if e, ok := cjkNameRun(text, p); ok {
			emit(hit{typ: TypePersonName, conf: High, start: p, end: e})
		}
	}
	for off := 0; ; {
		i := bytes.Index(text[off:], []byte("我是"))
		if i < 0 {
			break
		}
		p := off + i + len("我是")
		off = p
		if e, ok := cjkNameRun(text, p); ok {
			emit(hit{typ: TypePersonName, conf: High, start: p, end: e})
		}
	}
	for _, hon := range [...]string{"님", "씨"} {
		for off := 0; ; {
			i := bytes.Index(text[off:], []byte(hon))
			if i < 0 {
				break
			}
			at := off + i
			off = at + len(hon)
			e := at
			for e > 0 && text[e-1] == ' ' {
				e--
			}
			// Walk back over two to four Hangul syllables to the start of the run.
			st, n := e, 0
			for st > 0 && n < 5 {
				r, size := utf8.DecodeLastRune(text[:st])
				if !isHangul(r) {
					break
				}
				st -= size
				n++
			}
			if n < 2 || n > 4 {
				continue
			}
			first, _ := utf8.DecodeRune(text[st:])
			if !hangulSurnames[first] || hangulTitles[string(text[st:e])] {
				continue
			}
			emit(hit{typ: TypePersonName, conf: High, start: st, end: e})
		}
	}
}

// cjkNameRun returns the end of a name of two to four Han or Hangul characters at p that
// starts with a common family name and ends where the script does (a space, punctuation,
// a parenthesis): a longer run is a sentence, not a name.
func cjkNameRun(text []byte, p int) (int, bool) {
	first, _ := utf8.DecodeRune(text[p:])
	han := isHan(first)
	if !(han && hanSurnames[first]) && !(isHangul(first) && hangulSurnames[first]) {
		return 0, false
	}
	e, n := p, 0
	for e < len(text) {
		r, size := utf8.DecodeRune(text[e:])
		if (han && !isHan(r)) || (!han && !isHangul(r)) {
			break
		}
		e += size
		n++
		if n > 4 {
			return 0, false
		}
	}
	if n < 2 {
		return 0, false
	}
	for _, t := range cjkTerms {
		if t.term == string(text[p:e]) {
			return 0, false // a label or a term, as a table header row holds
		}
	}
	return e, true
}
