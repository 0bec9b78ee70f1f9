// Command sgprof runs the sealgate gateway like `sealgate serve`, but
// writes a CPU profile (and a heap profile at exit) for bench/run.sh
// PROFILE=1. It exists so the daemon itself needs no profiling flag.
//
// Usage: sgprof -c sealgate.yaml -cpuprofile cpu.out [-memprofile mem.out]
// SIGTERM or SIGINT stops the gateway and flushes the profiles.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/sealgate/sealgate/config"
	"github.com/sealgate/sealgate/gateway"
)

func main() {
	cfgPath := flag.String("c", "", "sealgate configuration file")
	cpuOut := flag.String("cpuprofile", "", "write a CPU profile here")
	memOut := flag.String("memprofile", "", "write a heap profile here at exit")
	flag.Parse()
	if err := run(*cfgPath, *cpuOut, *memOut); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(cfgPath, cpuOut, memOut string) error {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if cpuOut != "" {
		f, err := os.Create(cpuOut)
		if err != nil {
			return fmt.Errorf("sgprof: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("sgprof: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	g, err := gateway.New(cfg, gateway.Options{Logger: log})
	if err != nil {
		return err
	}
	if err := g.Start(); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stopErr := g.Stop(ctx)
	if memOut != "" {
		f, err := os.Create(memOut)
		if err != nil {
			return fmt.Errorf("sgprof: %w", err)
		}
		defer f.Close()
		runtime.GC()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return fmt.Errorf("sgprof: %w", err)
		}
	}
	return stopErr
}
