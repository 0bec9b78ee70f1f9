package notice

import "testing"

func BenchmarkNotification(b *testing.B) {
	tm := mustLoad(b, "", Branding{OrgName: "Clinic", Footer: "f"})
	n := testNotification()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Notification(n); err != nil {
			b.Fatal(err)
		}
	}
}
