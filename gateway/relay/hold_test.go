package relay

import (
	"testing"
	"time"
)

// A held copy waits (through Flush too) while the message's other copies are
// delivered; Release sends it; the hold survives a restart (it is saved).
func TestAHeldCopyWaitsWhileTheOthersLeave(t *testing.T) {
	sink := newSink(t, "127.0.0.1:0", nil)
	st := newMemStore()
	st.put(testEnvelope("m1", "a@src.test", "now@dst.test", "later@dst.test"), testBody)
	r := startRelay(t, Options{Smarthost: sink.addr, SmarthostTLS: "none"}, st)
	if err := r.Submit("m1", []Copy{{Recipients: []string{"now@dst.test"}},
		{Recipients: []string{"later@dst.test"}, Hold: "no usable method"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the unheld copy", func() bool { return len(sink.received()) == 1 })
	if err := r.Flush(""); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if got := len(sink.received()); got != 1 {
		t.Fatalf("flush sent the held copy (%d messages)", got)
	}
	if st.saveCount("m1") == 0 {
		t.Fatal("the hold was not saved before Submit returned")
	}
	e, err := r.Show("m1")
	if err != nil || e.Held || len(e.Recipients) != 2 || !e.Recipients[1].Held || e.Recipients[1].HoldReason != "no usable method" {
		t.Fatalf("show: %+v %v", e, err)
	}
	if err := r.Release("m1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the released copy", func() bool { return len(sink.received()) == 2 })
	waitFor(t, "removal", func() bool { return st.isRemoved("m1") })
}
