package catalog

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestJSONPerfTmp(t *testing.T) {
	var c Catalog
	for i := 0; i < 50000; i++ {
		c.Services = append(c.Services, Service{Name: fmt.Sprintf("service-%d", i), Team: "t", Tier: 2, Description: "Service does things and more things", Tags: []string{"java", "web", "x"}, DependsOn: []string{"a", "b"}, DataClasses: []string{"pii"}})
	}
	b, _ := json.Marshal(c)
	start := time.Now()
	_, err := ParseJSON("f.json", b)
	fmt.Println(len(b), time.Since(start), err)
	y := []byte("services:\n")
	for _, s := range c.Services { y = fmt.Appendf(y, "  - name: %s\n    team: t\n    tier: 2\n    description: %s\n    tags: [java, web, x]\n    dependsOn: [a, b]\n    dataClasses: [pii]\n", s.Name, s.Description) }
	start = time.Now()
	_, err = ParseYAML("f.yaml", y)
	fmt.Println(len(y), time.Since(start), err)
}
