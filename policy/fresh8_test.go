package policy

import "testing"

// Writer K's fresh8 mechanisms through the whole engine with the shipped policy (our own
// wording).
func TestFresh8MechanismsThroughTheEngine(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		// Correctional health names its patient "inmate"; a booking or DOC number labels
		// one person, as a chart number does.
		{"inmate named", "Sgt, inmate Marcus Delahunt was taken to the ED for a suspected appendicitis, back by noon.", "phi-name-clinical"},
		{"inmate column", "Date\tInmate\tReason\r\n12/01\tHALVERSEN, ROY\tdialysis\r\n12/01\tOKONJO, GRACE\tprenatal visit\r\n", "phi-name-clinical"},
		{"doc number", "Please pull the chart for DOC# 7731905 before the telehealth visit.", "phi-identifiers"},
		{"booking number", "Booking # 2604417 is due at the clinic window at 1700.", "phi-identifiers"},
		{"edipi", "EDIPI 1284467301 is the one to use on the referral.", "phi-identifiers"},
		// A hotel booking is still not a patient's number.
		{"hotel booking", "Your booking 88213409 at the Harbor Inn is confirmed for the conference.", "default"},
		// Athletic training and VA vocabulary with a named patient.
		{"tendon repair", "Pt Lucas Whitford is at week 6 after flexor tendon repair, splint on at night.", "phi-name-clinical"},
		{"mst", "Mrs. Carla Jennison disclosed military sexual trauma and will start cognitive processing therapy.", "phi-name-clinical"},
		// A date of birth written year first with CJK units after a DOB label.
		{"cjk dob", "DOB: 1961年11月2日, follow-up next month.", "phi-identifiers"},
		{"korean dob", "DOB 1987년 4월 19일 - please update the record.", "phi-identifiers"},
		// The same date shape without a birth label is a plain date.
		{"cjk date only", "The clinic reopens 2026年1月5日 after the holiday.", "default"},
		// Chinese and Korean: a name after a patient label, after "I am", or before the
		// honorific 님, with a condition in the same script.
		{"han label", "病人: 刘建国   诊断: 2型糖尿病, 血糖控制不佳.", "phi-name-clinical"},
		{"han self", "医生好, 我是赵敏, 我有高血压, 药吃完了.", "phi-name-clinical"},
		{"hangul honorific", "최민호 님은 당뇨 검사 결과가 나왔습니다.", "phi-name-clinical"},
		{"korean dob label", "생년월일: 1952년 8월 14일", "phi-identifiers"},
		// A role before 님 is not a name, and a health talk names no one.
		{"hangul title", "선생님, 다음 주 당뇨 교육 자료를 보내 드립니다.", "default"},
		{"han flyer", "社区讲座: 如何预防糖尿病和高血压, 欢迎大家参加.", "default"},
		// A vitamin D level is a reading of the writer's own; a vitamin D dose on a list is not.
		{"vit d reading", "Got my labs back, vit D was 11 so I'm starting a supplement.", "phi-personal-health"},
		{"vit d dose", "Shelf restock: Vit D 400 IU tablets, 2 cases; fish oil, 1 case.", "default"},
	} {
		if got := decideDefault(t, "update", tc.body); got != tc.want {
			t.Errorf("%s: rule %s, want %s", tc.name, got, tc.want)
		}
	}
}

// A name followed by a form's sex field is a record's subject.
func TestFresh8FormDemographicsThroughTheEngine(t *testing.T) {
	body := "SPORTS PHYSICAL HISTORY\r\nAthlete Whitcomb, Jenna  Sex: F  Grade 10\r\nHistory of asthma: yes, uses an inhaler\r\n"
	if got := decideDefault(t, "form", body); got != "phi-name-clinical" {
		t.Errorf("rule %s, want phi-name-clinical", got)
	}
	if got := decideDefault(t, "talk", "Dana Reyes will lead the sex education unit on asthma myths this spring."); got != "default" {
		t.Errorf("talk: rule %s, want default", got)
	}
}

// The last four digits written after a name tell one patient from another.
func TestFresh8LastFourAfterNameThroughTheEngine(t *testing.T) {
	body := "FYI Marta Quillfeather (last 4 2291) came by the clinic today with a migraine, please call her."
	if got := decideDefault(t, "fyi", body); got != "phi-name-clinical" {
		t.Errorf("rule %s, want phi-name-clinical", got)
	}
}
