// A Helm-like renderer for chart tests where Helm itself is not installed: Go text/template with
// sprig and Helm's own include, tpl, required, fail, toYaml, fromYaml, toJson, fromJson and lookup
// (which, as under `helm template`, finds nothing). Values are merged as Helm merges them: the
// chart's values.yaml, then each -f file in order, maps deep-merged and null deleting a key.
//
// Usage: chart-render -chart DIR -name RELEASE -namespace NS [-f values.yaml]... [-api-versions a/v1,...]
// Prints every rendered template as `# Source: chart/templates/x.yaml` and its documents, as
// `helm template` does; NOTES.txt is printed under `# Notes:` at the end.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"sigs.k8s.io/yaml"
)

type files map[string][]byte

func (f files) Get(name string) string { return string(f[name]) }

type apiVersions []string

func (a apiVersions) Has(version string) bool {
	for _, v := range a {
		if v == version {
			return true
		}
	}
	return false
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func readYaml(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// merge lays src over dst as Helm coalesces user values over the chart's: maps merge, null deletes.
func merge(dst, src map[string]interface{}) map[string]interface{} {
	for key, value := range src {
		if value == nil {
			delete(dst, key)
			continue
		}
		srcMap, srcIsMap := value.(map[string]interface{})
		dstMap, dstIsMap := dst[key].(map[string]interface{})
		if srcIsMap && dstIsMap {
			dst[key] = merge(dstMap, srcMap)
		} else {
			dst[key] = value
		}
	}
	return dst
}

func toYaml(v interface{}) string {
	data, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(data), "\n")
}

func main() {
	chartDir := flag.String("chart", "", "chart directory")
	name := flag.String("name", "release", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	apis := flag.String("api-versions", "", "extra API versions the cluster serves, comma-separated")
	upgrade := flag.Bool("upgrade", false, "render as an upgrade (Release.IsUpgrade)")
	var valueFiles listFlag
	flag.Var(&valueFiles, "f", "values file (repeatable)")
	flag.Parse()
	if err := run(*chartDir, *name, *namespace, *apis, *upgrade, valueFiles); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}

func run(chartDir, name, namespace, apis string, upgrade bool, valueFiles []string) error {
	chart, err := readYaml(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	values, err := readYaml(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	for _, file := range valueFiles {
		extra, err := readYaml(file)
		if err != nil {
			return err
		}
		values = merge(values, extra)
	}
	if _, ok := values["global"]; !ok {
		values["global"] = map[string]interface{}{}
	}
	chartName := fmt.Sprint(chart["name"])
	versions := apiVersions{"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "coordination.k8s.io/v1", "apiextensions.k8s.io/v1"}
	if apis != "" {
		versions = append(versions, strings.Split(apis, ",")...)
	}

	chartFiles := files{}
	var templates []string
	err = filepath.Walk(chartDir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(chartDir, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			templates = append(templates, rel)
		} else {
			chartFiles[rel] = data
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(templates)

	root := template.New("chart")
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	includeDepth := 0
	funcs["include"] = func(name string, data interface{}) (string, error) {
		includeDepth++
		defer func() { includeDepth-- }()
		if includeDepth > 1000 {
			return "", fmt.Errorf("include %q: recursion too deep", name)
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(message string, value interface{}) (interface{}, error) {
		if value == nil {
			return nil, fmt.Errorf(message)
		}
		if s, ok := value.(string); ok && s == "" {
			return nil, fmt.Errorf(message)
		}
		return value, nil
	}
	funcs["fail"] = func(message string) (string, error) { return "", fmt.Errorf(message) }
	funcs["toYaml"] = toYaml
	funcs["fromYaml"] = func(text string) map[string]interface{} {
		out := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(text), &out); err != nil {
			out["Error"] = err.Error()
		}
		return out
	}
	funcs["fromYamlArray"] = func(text string) []interface{} {
		out := []interface{}{}
		if err := yaml.Unmarshal([]byte(text), &out); err != nil {
			out = []interface{}{err.Error()}
		}
		return out
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(text string) map[string]interface{} {
		out := map[string]interface{}{}
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			out["Error"] = err.Error()
		}
		return out
	}
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs).Option("missingkey=zero")

	sources := map[string]string{}
	for _, rel := range templates {
		data, err := os.ReadFile(filepath.Join(chartDir, rel))
		if err != nil {
			return err
		}
		full := chartName + "/" + rel
		sources[full] = string(data)
		if _, err := root.New(full).Parse(string(data)); err != nil {
			return err
		}
	}

	releaseData := func(templateName string) map[string]interface{} {
		return map[string]interface{}{
			"Values": values,
			"Chart": map[string]interface{}{
				"Name": chartName, "Version": chart["version"], "AppVersion": chart["appVersion"],
			},
			"Release": map[string]interface{}{
				"Name": name, "Namespace": namespace, "Service": "Helm",
				"IsInstall": !upgrade, "IsUpgrade": upgrade, "Revision": 1,
			},
			"Capabilities": map[string]interface{}{
				"APIVersions": versions,
				"KubeVersion": map[string]interface{}{"Version": "v1.31.0", "Major": "1", "Minor": "31", "GitVersion": "v1.31.0"},
			},
			"Template": map[string]interface{}{"Name": templateName, "BasePath": chartName + "/templates"},
			"Files":    chartFiles,
		}
	}

	var out bytes.Buffer
	var notes string
	for _, rel := range templates {
		full := chartName + "/" + rel
		base := filepath.Base(rel)
		if strings.HasPrefix(base, "_") {
			continue
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, full, releaseData(full)); err != nil {
			return err
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			notes = text
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", full, strings.TrimLeft(text, "\n"))
	}
	if notes != "" {
		fmt.Fprintf(&out, "# Notes:\n%s\n", strings.ReplaceAll(notes, "\n", "\n# "))
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}
