// prom-targets: Prometheus's own target pipeline, without scraping. It loads a
// Prometheus configuration with Prometheus's config loader, reads each scrape job's
// file_sd files with the target-group JSON decoder file_sd uses, and turns every
// entry into a target with scrape.TargetsFromGroup: the defaults, relabel_configs
// (hashmod included) and checks a running Prometheus applies. One JSON line per
// discovered target:
//
//	{"job":"...","dropped":false,"url":"http://exporter:9116/snmp?...","labels":{...},"error":""}
//
// Usage: prom-targets --config.file=prometheus.yml
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/file"
	"github.com/prometheus/prometheus/discovery/targetgroup"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/scrape"
)

type result struct {
	Job     string            `json:"job"`
	Dropped bool              `json:"dropped"`
	URL     string            `json:"url,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Error   string            `json:"error,omitempty"`
}

func main() {
	configFile := flag.String("config.file", "prometheus.yml", "Prometheus configuration file")
	flag.Parse()
	cfg, err := config.LoadFile(*configFile, false, slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err != nil {
		fmt.Fprintf(os.Stderr, "loading %s: %v\n", *configFile, err)
		os.Exit(2)
	}
	out := json.NewEncoder(os.Stdout)
	lb := labels.NewBuilder(labels.EmptyLabels())
	scrapeConfigs, err := cfg.GetScrapeConfigs()
	if err != nil {
		fmt.Fprintf(os.Stderr, "scrape configs: %v\n", err)
		os.Exit(2)
	}
	for _, sc := range scrapeConfigs {
		for _, sd := range sc.ServiceDiscoveryConfigs {
			fsd, ok := sd.(*file.SDConfig)
			if !ok {
				continue
			}
			for _, pattern := range fsd.Files {
				paths, err := filepath.Glob(pattern)
				if err != nil {
					fmt.Fprintf(os.Stderr, "glob %s: %v\n", pattern, err)
					os.Exit(2)
				}
				for _, path := range paths {
					content, err := os.ReadFile(path)
					if err != nil {
						fmt.Fprintf(os.Stderr, "reading %s: %v\n", path, err)
						os.Exit(2)
					}
					var groups []*targetgroup.Group
					if err := json.Unmarshal(content, &groups); err != nil {
						fmt.Fprintf(os.Stderr, "decoding %s: %v\n", path, err)
						os.Exit(2)
					}
					for i, tg := range groups {
						// What file_sd adds to every group it reads.
						tg.Source = fmt.Sprintf("%s:%d", path, i)
						if tg.Labels == nil {
							tg.Labels = model.LabelSet{}
						}
						tg.Labels["__meta_filepath"] = model.LabelValue(path)
						targets, failures := scrape.TargetsFromGroup(tg, sc, nil, lb)
						for _, f := range failures {
							_ = out.Encode(result{Job: sc.JobName, Error: f.Error()})
						}
						for _, t := range targets {
							if t.Labels(lb).IsEmpty() {
								_ = out.Encode(result{Job: sc.JobName, Dropped: true})
								continue
							}
							_ = out.Encode(result{Job: sc.JobName, URL: t.URL().String(), Labels: t.Labels(lb).Map()})
						}
					}
				}
			}
		}
	}
}
