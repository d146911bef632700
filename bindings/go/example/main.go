// Quick start: an exact index and an IVF index, searched with a few queries. It runs locally,
// or on a faissx-server given with -server or FAISSX_SERVER:
//
//	go run ./example
//	go run ./example -server tcp://127.0.0.1:45678
package main

import (
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"slices"

	faiss "github.com/faissx/faissx/bindings/go"
)

func main() {
	server := flag.String("server", os.Getenv("FAISSX_SERVER"), "faissx-server address (empty: run locally)")
	flag.Parse()
	if err := run(*server); err != nil {
		log.Fatal(err)
	}
}

func run(server string) error {
	if err := faiss.Configure(server, os.Getenv("FAISSX_API_KEY"), os.Getenv("FAISSX_TENANT_ID")); err != nil {
		return err
	}
	const d, nb, nq, k = 64, 10000, 5, 4
	r := rand.New(rand.NewPCG(1234, 0))
	random := func(n int) []float32 {
		x := make([]float32, n*d)
		for i := range x {
			x[i] = r.Float32()
		}
		return x
	}
	xb, xq := random(nb), random(nq)

	index, err := faiss.NewIndexFlatL2(d)
	if err != nil {
		return err
	}
	defer index.Delete()
	where := "locally"
	if index.IsRemote() {
		where = "on " + server
	}
	fmt.Printf("%s, running %s\n", faiss.Version(), where)
	if err := index.Add(xb); err != nil {
		return err
	}
	distances, labels, err := index.Search(xq, k)
	if err != nil {
		return err
	}
	fmt.Printf("IndexFlatL2: %d vectors\n", index.Ntotal())
	for i := 0; i < nq; i++ {
		fmt.Printf("  query %d: ids %v, distances %.3f\n", i, labels[i*k:(i+1)*k], distances[i*k:(i+1)*k])
	}

	ivf, err := faiss.IndexFactory(d, "IVF100,Flat", faiss.MetricL2)
	if err != nil {
		return err
	}
	defer ivf.Delete()
	if err := ivf.Train(xb); err != nil {
		return err
	}
	if err := ivf.Add(xb); err != nil {
		return err
	}
	typed, err := ivf.AsIVF()
	if err != nil {
		return err
	}
	if err := typed.SetNprobe(10); err != nil {
		return err
	}
	_, approx, err := ivf.Search(xq, k)
	if err != nil {
		return err
	}
	found := 0
	for q := 0; q < nq; q++ {
		for _, id := range approx[q*k : (q+1)*k] {
			if slices.Contains(labels[q*k:(q+1)*k], id) {
				found++
			}
		}
	}
	fmt.Printf("IVF100,Flat, nprobe 10: found %d of the %d exact nearest neighbours\n", found, nq*k)

	// Errors carry faissx's code and message.
	if _, _, err := index.Search(xq, 0); err != nil {
		fmt.Printf("searching with k = 0: %v\n", err)
	}
	return nil
}
