package web

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-message/mail"
)

func TestReplyGoesToSenderThreaded(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-reply-00000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-reply-00000000000000", "bob@patient.example")
	form := e.get(c, "/v/reply")
	if !strings.Contains(form.body, "alice@clinic.example") || strings.Contains(form.body, "carol@other.example") {
		t.Fatalf("reply form: %s", form.body)
	}
	r := e.post(c, "/v/reply", url.Values{"csrf": {csrfOf(t, form.body)}, "body": {"Thanks,\nsee you Tuesday. REPLY-MARK"}})
	if r.StatusCode != 200 || len(e.replies.got) != 1 {
		t.Fatalf("reply: %d, %d submitted", r.StatusCode, len(e.replies.got))
	}
	got := e.replies.got[0]
	if got.from != "bob@patient.example" || len(got.to) != 1 || got.to[0] != "alice@clinic.example" {
		t.Fatalf("envelope from %q to %v", got.from, got.to)
	}
	mr, err := mail.CreateReader(bytes.NewReader(got.raw))
	if err != nil {
		t.Fatal(err)
	}
	subj, _ := mr.Header.Subject()
	irt, _ := mr.Header.MsgIDList("In-Reply-To")
	from, _ := mr.Header.AddressList("From")
	if subj != "Re: Results "+subjectMarker || len(irt) != 1 || irt[0] != "orig-1@clinic.example" || from[0].Address != "bob@patient.example" {
		t.Errorf("headers: subject %q in-reply-to %v from %v", subj, irt, from)
	}
	if id, _ := mr.Header.MessageID(); id == "" {
		t.Error("no Message-ID")
	}
	p, err := mr.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(p.Body)
	if string(body) != "Thanks,\r\nsee you Tuesday. REPLY-MARK" {
		t.Errorf("body %q", body)
	}
	if e.store.count(EventReplied) != 1 {
		t.Error("reply not recorded")
	}
}

func TestReplyAllExcludesSelfAndNeedsPolicy(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-rall-000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-rall-000000000000000", "bob@patient.example")
	form := e.get(c, "/v/reply?all=1")
	e.post(c, "/v/reply", url.Values{"csrf": {csrfOf(t, form.body)}, "body": {"hi"}, "all": {"1"}})
	if to := e.replies.got[0].to; len(to) != 2 || to[0] != "alice@clinic.example" || to[1] != "carol@other.example" {
		t.Fatalf("reply-all to %v", to)
	}
	e.store.msgs["m1"].meta.ReplyAll = false
	if strings.Contains(e.get(c, "/v").body, "Reply to all") {
		t.Error("reply-all offered when policy forbids it")
	}
	e.post(c, "/v/reply", url.Values{"csrf": {csrfOf(t, form.body)}, "body": {"hi"}, "all": {"1"}})
	if to := e.replies.got[1].to; len(to) != 1 {
		t.Fatalf("reply-all forced past policy: %v", to)
	}
}

func TestReplyRefusesEmptyAndHuge(t *testing.T) {
	e := newEnv(t, nil)
	raw, _ := testMessage(t, "a.pdf", 10)
	e.addMessage("tok-rbig-000000000000000", "m1", "bob@patient.example", raw)
	c := e.client()
	e.login(c, "tok-rbig-000000000000000", "bob@patient.example")
	csrf := csrfOf(t, e.get(c, "/v/reply").body)
	for _, b := range []string{"   ", strings.Repeat("x", maxReplyBytes+1)} {
		if r := e.post(c, "/v/reply", url.Values{"csrf": {csrf}, "body": {b}}); r.StatusCode != 422 {
			t.Errorf("reply of %d bytes: %d", len(b), r.StatusCode)
		}
	}
	if len(e.replies.got) != 0 {
		t.Fatal("bad reply submitted")
	}
}
