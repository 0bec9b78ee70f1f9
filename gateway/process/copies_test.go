package process

import (
	"bufio"
	"reflect"
	"strings"
	"testing"

	"github.com/emersion/go-message/textproto"
)

func TestNamedRecipientsAndCopyGroups(t *testing.T) {
	hdr := "To: Carol <Carol@Partner.TEST>, \"erin@partner.test\" <dave@partner.test>\r\n" +
		"Cc: team: gil@xn--bcher-kva.test;, =?x-unknown?q?H=E4?= <hal@partner.test>\r\n" +
		"Resent-To: ivy@partner.test\r\nResent-Cc: <<broken\r\nBcc: erin@partner.test\r\n\r\n"
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(hdr)))
	if err != nil {
		t.Fatal(err)
	}
	named := namedIn(h)
	for _, a := range []string{"carol@partner.test", "dave@partner.test", "gil@bücher.test", "hal@partner.test", "ivy@partner.test"} {
		if !named[normAddr(a)] {
			t.Errorf("%s not named (%v)", a, named)
		}
	}
	// A display name is not an address, and Bcc names nobody.
	if named[normAddr("erin@partner.test")] {
		t.Error("erin counted as named")
	}
	rcpts := []string{"carol@partner.test", "erin@partner.test", "dave@partner.test", "zed@partner.test"}
	if got, want := copyGroups(rcpts, named), [][]int{{0, 2}, {1}, {3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("shared: %v, want %v", got, want)
	}
	if got, want := copyGroups(rcpts, nil), [][]int{{0}, {1}, {2}, {3}}; !reflect.DeepEqual(got, want) {
		t.Errorf("not shared: %v, want %v", got, want)
	}
	if copyName("pgp", 0) != "pgp" || copyName("smime1", 2) != "smime1-2" {
		t.Error("copy names")
	}
}
