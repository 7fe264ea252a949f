package web

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/palisade-project/palisade/catalog"
)

// Geometry of the neighbourhood drawing, in SVG user units. The layout is
// computed here and the template only prints coordinates, so the page needs
// no script and no inline style to draw it.
const (
	graphWidth = 880
	nodeW      = 200
	nodeH      = 32
	rowGap     = 10
	headH      = 36 // room above the columns for their headings
	sideMargin = 10
	// colMax is how many nodes a column draws, a "+N more" node included;
	// the text below the drawing lists every name.
	colMax = 15
	// vendorMax nodes fit in one row under the service.
	vendorMax = 4
	vendorGap = 20
	labelMax  = 24 // characters of a name that fit in a node
)

// graphView is a laid-out neighbourhood, ready to print as SVG.
type graphView struct {
	Width, Height int
	Label         string // accessible summary of the drawing
	Headings      []graphText
	Nodes         []graphNode
	Edges         []graphEdge
}

type graphText struct {
	X, Y        int
	Text, Class string
}

type graphNode struct {
	X, Y, W, H int
	TX, TY     int // centre of the label
	Label      string
	Title      string // full text, shown as a tooltip
	Href       string
	Class      string
}

type graphEdge struct {
	D, Class string
}

// graphItem is one name to draw, or the "+N more" stand-in for the rest.
type graphItem struct {
	Label, Title, Href string
	More               bool
}

// capItems keeps at most max items, replacing the tail with one "+N more"
// item that links to the full list on the page.
func capItems(names []string, max int, hrefPrefix, moreHref, moreWhat string) []graphItem {
	items := make([]graphItem, 0, min(len(names), max))
	shown := len(names)
	if shown > max {
		shown = max - 1
	}
	for _, n := range names[:shown] {
		items = append(items, graphItem{Label: truncate(n), Title: n, Href: hrefPrefix + url.PathEscape(n)})
	}
	if rest := len(names) - shown; rest > 0 {
		items = append(items, graphItem{
			Label: fmt.Sprintf("+%d more", rest),
			Title: fmt.Sprintf("%d more %s: see the full list below", rest, moreWhat),
			Href:  moreHref, More: true,
		})
	}
	return items
}

func truncate(s string) string {
	r := []rune(s)
	if len(r) <= labelMax {
		return s
	}
	return string(r[:labelMax-1]) + "…"
}

func colHeight(n int) int {
	if n == 0 {
		return nodeH
	}
	return n*nodeH + (n-1)*rowGap
}

// layoutGraph places the service in the centre, the services that depend on
// it on the left, the services it depends on on the right and its third
// parties below. Arrows point the way dependence goes: from the one that
// needs to the one that is needed.
func layoutGraph(g *catalog.Graph) *graphView {
	up := capItems(g.Upstream, colMax, "/services/", "#dependents", "dependents")
	down := capItems(g.Downstream, colMax, "/services/", "#dependencies", "dependencies")
	vendors := capItems(g.Vendors, vendorMax, "/third-parties/", "#third-parties", "third parties")

	v := &graphView{
		Width: graphWidth,
		Label: fmt.Sprintf("Dependency graph of %s: %d dependents on the left, %d dependencies on the right, %d third parties below.",
			g.Center, len(g.Upstream), len(g.Downstream), len(g.Vendors)),
	}
	leftX, centerX, rightX := sideMargin, (graphWidth-nodeW)/2, graphWidth-sideMargin-nodeW
	bodyH := max(colHeight(len(up)), colHeight(len(down)))
	centerY := headH + (bodyH-nodeH)/2

	v.Headings = append(v.Headings,
		graphText{X: leftX + nodeW/2, Y: 20, Text: "Dependents (" + strconv.Itoa(len(g.Upstream)) + ")", Class: "graph-heading"},
		graphText{X: rightX + nodeW/2, Y: 20, Text: "Depends on (" + strconv.Itoa(len(g.Downstream)) + ")", Class: "graph-heading"},
	)
	center := node(centerX, centerY, graphItem{Label: truncate(g.Center), Title: g.Center, Href: "/services/" + url.PathEscape(g.Center)}, "node node-center")
	v.Nodes = append(v.Nodes, center)

	column := func(items []graphItem, x int, class string, edge func(n graphNode) string, empty string) {
		if len(items) == 0 {
			v.Headings = append(v.Headings, graphText{X: x + nodeW/2, Y: centerY + nodeH/2 + 4, Text: empty, Class: "graph-empty"})
			return
		}
		y := headH + (bodyH-colHeight(len(items)))/2
		for _, it := range items {
			c := class
			ec := "edge"
			if it.More {
				c += " node-more"
				ec += " edge-more"
			}
			n := node(x, y, it, c)
			v.Nodes = append(v.Nodes, n)
			v.Edges = append(v.Edges, graphEdge{D: edge(n), Class: ec})
			y += nodeH + rowGap
		}
	}
	// Dependent -> service: from the node's right side to the centre's left.
	column(up, leftX, "node node-up", func(n graphNode) string {
		return hcurve(n.X+nodeW, n.Y+nodeH/2, centerX, centerY+nodeH/2)
	}, "No dependents")
	// Service -> dependency: from the centre's right side to the node's left.
	column(down, rightX, "node node-down", func(n graphNode) string {
		return hcurve(centerX+nodeW, centerY+nodeH/2, n.X, n.Y+nodeH/2)
	}, "No dependencies")

	v.Height = headH + bodyH + sideMargin
	if len(vendors) > 0 {
		top := headH + bodyH + 56
		total := len(vendors)*nodeW + (len(vendors)-1)*vendorGap
		x := (graphWidth - total) / 2
		for _, it := range vendors {
			c, ec := "node node-vendor", "edge edge-vendor"
			if it.More {
				c += " node-more"
				ec += " edge-more"
			}
			n := node(x, top, it, c)
			v.Nodes = append(v.Nodes, n)
			v.Edges = append(v.Edges, graphEdge{D: vcurve(centerX+nodeW/2, centerY+nodeH, n.X+nodeW/2, n.Y), Class: ec})
			x += nodeW + vendorGap
		}
		v.Headings = append(v.Headings, graphText{X: graphWidth / 2, Y: top + nodeH + 22,
			Text: "Third parties (" + strconv.Itoa(len(g.Vendors)) + ")", Class: "graph-heading"})
		v.Height = top + nodeH + 32
	}
	return v
}

func node(x, y int, it graphItem, class string) graphNode {
	return graphNode{X: x, Y: y, W: nodeW, H: nodeH, TX: x + nodeW/2, TY: y + nodeH/2, Label: it.Label, Title: it.Title, Href: it.Href, Class: class}
}

// hcurve is a left-to-right S-curve; the arrow's tip ends on the target.
func hcurve(x1, y1, x2, y2 int) string {
	dx := (x2 - x1) / 2
	return fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1+dx, y1, x2-dx, y2, x2, y2)
}

// vcurve is a top-to-bottom S-curve.
func vcurve(x1, y1, x2, y2 int) string {
	dy := (y2 - y1) / 2
	return fmt.Sprintf("M%d %d C%d %d %d %d %d %d", x1, y1, x1, y1+dy, x2, y2-dy, x2, y2)
}
