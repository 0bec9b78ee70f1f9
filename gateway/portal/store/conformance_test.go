package store_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sealgate/sealgate/gateway/portal/store"
	"github.com/sealgate/sealgate/gateway/portal/store/storetest"
)

func TestDirStoreMeetsTheStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		kek, err := store.NewLocalKEK(bytes.Repeat([]byte{3}, 32))
		if err != nil {
			t.Fatal(err)
		}
		s, err := store.New(t.TempDir(), store.Options{KEK: kek, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
