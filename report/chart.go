package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The size of the charts. The page shows them at their own size (a point
// is 1⅓ CSS pixels), so that their 9 to 10.5 pt text reads as 12 to 14 px
// at 100% zoom: a full chart spans the page, two small ones (an op's)
// sit side by side.
const (
	chartWidth       = 11.5 * vg.Inch
	chartHeight      = 3.2 * vg.Inch
	smallChartWidth  = 5.6 * vg.Inch
	smallChartHeight = 3 * vg.Inch
)

// Text sizes of the charts, in points.
const (
	titleSize  = 10.5
	labelSize  = 10
	tickSize   = 9
	legendSize = 9.5
)

// palette colors lines by target: the baseline (Redis OSS when it is one
// of the two) vermillion and the candidate (Valkey) blue, the engines'
// colours on the Grafana dashboards too, then the rest of the Okabe–Ito
// set (readable by the color-blind). The page's CSS uses the same colours
// for the engines' names.
var palette = []color.RGBA{
	{213, 94, 0, 255}, {0, 114, 178, 255}, {0, 158, 115, 255},
	{204, 121, 167, 255}, {86, 180, 233, 255}, {230, 159, 0, 255}, {0, 0, 0, 255},
}

// neutralColor draws what belongs to no engine: a ratio of the two.
var neutralColor = color.RGBA{30, 30, 30, 255}

// bandColor shades a ratio's whole-run interval.
var bandColor = color.RGBA{205, 205, 205, 255}

// lineColor is the colour of index i (a target's, or Neutral).
func lineColor(i int) color.RGBA {
	if i < 0 {
		return neutralColor
	}
	return palette[i%len(palette)]
}

// dashes tell quantities apart within a target's color.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1.5), vg.Points(2)}}

// figure is what the page and WriteCharts draw: a line chart or the
// forest plot.
type figure interface {
	figureID() string
	size() (w, h vg.Length)
	draw(dc draw.Canvas) error
}

func (c *Chart) figureID() string { return c.ID }

func (c *Chart) size() (vg.Length, vg.Length) {
	if c.Small {
		return smallChartWidth, smallChartHeight
	}
	return chartWidth, chartHeight
}

func (c *Chart) draw(dc draw.Canvas) error { return drawChart(c, dc) }

// figures are the model's figures with something to draw, in page order.
func (m *Model) figures() []figure {
	var fs []figure
	if m.Forest.hasRows() {
		fs = append(fs, &m.Forest)
	}
	for _, c := range m.Charts() {
		if len(c.Lines) > 0 {
			fs = append(fs, c)
		}
	}
	return fs
}

// chartText is a text style of the charts' sans-serif font.
func chartText(size float64, bold bool) text.Style {
	f := sansFont
	if bold {
		f = boldFont
	}
	return text.Style{Color: color.Black, Font: font.From(f, vg.Points(size)), Handler: plot.DefaultTextHandler}
}

// drawChart draws c on dc: its title, a legend in a row beneath it (where
// it never hides a line), the y axis' title in a column to the left and
// the plot.
//
// The y axis' title is drawn here rather than by gonum: gonum centres it
// at the arithmetic middle of the axis range, which on a log axis sits
// near the top and pushes the plot down to make room.
func drawChart(c *Chart, dc draw.Canvas) error {
	p, entries, err := plotOf(c)
	if err != nil {
		return err
	}
	dc.FillPolygon(color.White, rect(dc.Min.X, dc.Min.Y, dc.Max.X, dc.Max.Y))
	pad := vg.Points(4)
	title := chartText(titleSize, true)
	title.XAlign, title.YAlign = draw.XLeft, draw.YTop
	dc.FillText(title, vg.Point{X: dc.Min.X + pad, Y: dc.Max.Y - pad}, c.Title)
	top := dc.Max.Y - pad - title.Height(c.Title) - vg.Points(3)
	top = drawLegend(dc, entries, dc.Min.X+pad, dc.Max.X-pad, top)

	sty := chartText(labelSize, false)
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	left := sty.Height(c.YLabel) + pad + vg.Points(4) // room for a browser's wider font
	bottomY := dc.Min.Y + pad
	dc.FillText(sty, vg.Point{X: dc.Min.X + pad, Y: (bottomY + top) / 2}, c.YLabel)
	p.Draw(draw.Crop(dc, left+pad, -pad-vg.Points(6), pad, top-dc.Max.Y))
	return nil
}

// legendEntry is one item of a chart's legend.
type legendEntry struct {
	label string
	thumb func(c draw.Canvas, x, y vg.Length) // draws the sample, 18 pt wide, centred on y
}

// drawLegend lays the entries out in rows from x0 to x1, the first row's
// top at top, and returns the bottom of the last.
func drawLegend(dc draw.Canvas, entries []legendEntry, x0, x1, top vg.Length) vg.Length {
	if len(entries) == 0 {
		return top
	}
	sty := chartText(legendSize, false)
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	const thumbW, gap = 18, 16
	rowH := sty.Height("M") + vg.Points(4)
	x, y := x0, top-rowH/2
	for _, e := range entries {
		w := vg.Points(thumbW+4) + sty.Width(e.label)*forestSlack
		if x > x0 && x+w > x1 {
			x, y = x0, y-rowH
		}
		e.thumb(dc, x, y)
		dc.FillText(sty, vg.Point{X: x + vg.Points(thumbW+4), Y: y}, e.label)
		x += w + vg.Points(gap)
	}
	return y - rowH/2
}

func lineThumb(sty draw.LineStyle) func(draw.Canvas, vg.Length, vg.Length) {
	return func(c draw.Canvas, x, y vg.Length) { c.StrokeLine2(sty, x, y, x+vg.Points(18), y) }
}

func swatchThumb(clr color.Color) func(draw.Canvas, vg.Length, vg.Length) {
	return func(c draw.Canvas, x, y vg.Length) {
		c.FillPolygon(clr, rect(x, y-vg.Points(4), x+vg.Points(18), y+vg.Points(4)))
	}
}

// plotOf makes the plot of c and its legend's entries.
func plotOf(c *Chart) (*plot.Plot, []legendEntry, error) {
	p := plot.New()
	setFonts(p)
	var entries []legendEntry
	p.X.Label.Text = c.XLabel
	if len(c.Spans) > 0 {
		p.Add(spans{chart: c}) // beneath the grid and the lines
	}
	if c.Band != nil {
		p.Add(band{c.Band})
		entries = append(entries, legendEntry{c.Band.Label, func(dc draw.Canvas, x, y vg.Length) {
			swatchThumb(bandColor)(dc, x, y)
			dc.StrokeLine2(draw.LineStyle{Color: neutralColor, Width: vg.Points(1), Dashes: dashes[1]}, x, y, x+vg.Points(18), y)
		}})
	}
	p.Add(plotter.NewGrid())
	switch {
	case c.Ratio:
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = ratioTicks{}
		p.Add(unity{})
	case c.LogY:
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	switch {
	case c.Nines:
		p.X.Tick.Marker = ninesTicks{}
	case !c.Clock.IsZero():
		p.X.Tick.Marker = clockTicks{zero: c.Clock}
	case c.Small:
		p.X.Tick.Marker = secondsTicks{labels: 6}
	default:
		p.X.Tick.Marker = secondsTicks{labels: 10}
	}
	logY := c.LogY || c.Ratio
	var values []float64
	for _, l := range c.Lines {
		width := vg.Points(1.5)
		if l.Color == Neutral {
			width = vg.Points(1.3)
		}
		style := draw.LineStyle{Color: lineColor(l.Color), Width: width, Dashes: dashes[l.Dash%len(dashes)]}
		drawn := false
		for _, seg := range segments(l.Points, logY) {
			for _, pt := range seg {
				values = append(values, pt.Y)
			}
			if len(seg) == 1 { // a lone point between gaps: a dot, or it would vanish
				dot, err := plotter.NewScatter(seg)
				if err != nil {
					return nil, nil, fmt.Errorf("chart %s: line %s: %w", c.ID, l.Label, err)
				}
				dot.GlyphStyle = draw.GlyphStyle{Color: style.Color, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
				p.Add(dot)
				drawn = true
				continue
			}
			line, err := plotter.NewLine(seg)
			if err != nil {
				return nil, nil, fmt.Errorf("chart %s: line %s: %w", c.ID, l.Label, err)
			}
			line.LineStyle = style
			p.Add(line)
			drawn = true
		}
		if drawn {
			entries = append(entries, legendEntry{l.Label, lineThumb(style)})
		}
	}
	seen := map[string]bool{}
	for _, sp := range c.Spans {
		if !seen[sp.Label] {
			seen[sp.Label] = true
			entries = append(entries, legendEntry{"phase " + sp.Label, swatchThumb(shades[sp.Shade%len(shades)])})
		}
	}
	switch {
	case c.Ratio:
		p.Y.Min, p.Y.Max = ratioRange(values, c.Band)
	case c.LogY && p.Y.Min <= 0: // no positive data: keep the axis drawable
		p.Y.Min, p.Y.Max = 0.001, 1
	}
	if c.LogY { // headroom: a line at the extremes must not hide in the axis
		p.Y.Min, p.Y.Max = p.Y.Min/1.15, p.Y.Max*1.15
	}
	if !logY && p.Y.Min > 0 {
		p.Y.Min = 0 // rates from zero: a dip must look like one
	}
	if !logY && p.Y.Max > 0 {
		p.Y.Max *= 1.05 // headroom above the highest point
	}
	if c.XMax > c.XMin {
		p.X.Min, p.X.Max = c.XMin, c.XMax
	}
	return p, entries, nil
}

// setFonts gives every text of p the charts' sans-serif font at the
// charts' sizes (gonum's default is a serif).
func setFonts(p *plot.Plot) {
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansFont, vg.Points(labelSize))
		a.Tick.Label.Font = font.From(sansFont, vg.Points(tickSize))
	}
	p.Title.TextStyle.Font = font.From(boldFont, vg.Points(titleSize))
}

// ratioRange is a ratio axis' range: 1, the band, and the line's values
// but its 2% most extreme at each end (one stalled bin must not flatten
// the rest; gonum clips what lies beyond), with a little room on the log
// scale.
func ratioRange(values []float64, b *Band) (lo, hi float64) {
	lo, hi = 1, 1
	if b != nil {
		lo, hi = min(lo, b.Low), max(hi, b.High)
	}
	if n := len(values); n > 0 {
		vs := slices.Clone(values)
		slices.Sort(vs)
		cut := n / 50
		lo, hi = min(lo, vs[cut]), max(hi, vs[n-1-cut])
	}
	pad := math.Max(math.Log(hi/lo)*0.08, math.Log(1.02))
	return lo * math.Exp(-pad), hi * math.Exp(pad)
}

// band shades a ratio's whole-run interval across the plot and marks the
// ratio with a dashed line.
type band struct{ *Band }

func (b band) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	clip := func(v float64) float64 { return min(max(v, p.Y.Min), p.Y.Max) }
	y0, y1 := trY(clip(b.Low)), trY(clip(b.High))
	c.FillPolygon(bandColor, rect(c.Min.X, y0, c.Max.X, y1))
	if r := b.Ratio; r >= p.Y.Min && r <= p.Y.Max {
		c.StrokeLine2(draw.LineStyle{Color: neutralColor, Width: vg.Points(1), Dashes: dashes[1]}, c.Min.X, trY(r), c.Max.X, trY(r))
	}
}

// unity marks ratio 1 (no difference) on a ratio chart.
type unity struct{}

func (unity) Plot(c draw.Canvas, p *plot.Plot) {
	if p.Y.Min > 1 || p.Y.Max < 1 {
		return
	}
	_, trY := p.Transforms(&c)
	c.StrokeLine2(draw.LineStyle{Color: unityColor, Width: vg.Points(1.2)}, c.Min.X, trY(1), c.Max.X, trY(1))
}

// segments splits points into the runs between breaks, leaving out points
// a log axis cannot show (y ≤ 0), which break the line too.
func segments(pts []Point, logY bool) []plotter.XYs {
	var segs []plotter.XYs
	var cur plotter.XYs
	for _, pt := range pts {
		if pt.IsBreak() || math.IsInf(pt.Y, 0) || (logY && pt.Y <= 0) {
			if len(cur) > 0 {
				segs = append(segs, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, plotter.XY{X: pt.X, Y: pt.Y})
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// svgProlog matches what vgsvg writes before the <svg> element, and
// svgNamespaces its namespace declarations: an SVG element inside HTML
// needs neither.
var (
	svgProlog     = regexp.MustCompile(`(?s)\A.*?(<svg\b)`)
	svgNamespaces = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// svgFonts are the families a browser may draw the charts' text in: the
// one Go laid it out with, then the fonts of the same widths (Liberation
// Sans is metric-compatible with Arial and Helvetica), then a narrow
// fallback and any sans-serif, never the browser's default serif.
const svgFonts = `font-family:'Liberation Sans',Arial,Helvetica,'DejaVu Sans Condensed',sans-serif;`

// renderSVG renders f as a standalone SVG document.
func renderSVG(f figure) ([]byte, error) {
	w, h := f.size()
	canvas := vgsvg.New(w, h)
	if err := f.draw(draw.New(canvas)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart %s: %w", f.figureID(), err)
	}
	return []byte(strings.ReplaceAll(b.String(), "font-family:Liberation Sans;", svgFonts)), nil
}

// renderPNG renders f as a PNG image, at 144 dots per inch.
func renderPNG(f figure) ([]byte, error) {
	w, h := f.size()
	canvas := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(144))}
	if err := f.draw(draw.New(canvas)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart %s: %w", f.figureID(), err)
	}
	return b.Bytes(), nil
}

// SVG renders c as a standalone SVG document.
func SVG(c *Chart) ([]byte, error) { return renderSVG(c) }

// PNG renders c as a PNG image.
func PNG(c *Chart) ([]byte, error) { return renderPNG(c) }

// inlineSVG renders f as an <svg> element to inline in HTML.
func inlineSVG(f figure) (string, error) {
	b, err := renderSVG(f)
	if err != nil {
		return "", err
	}
	b = svgProlog.ReplaceAll(b, []byte("$1"))
	b = svgNamespaces.ReplaceAll(b, nil)
	return string(b), nil
}

// WriteCharts writes every figure of m with data (the forest plot, then
// the charts in page order) into dir as ID.svg or ID.png (format "svg" or
// "png") and returns the files written.
func WriteCharts(dir, format string, m *Model) ([]string, error) {
	render := map[string]func(figure) ([]byte, error){"svg": renderSVG, "png": renderPNG}[format]
	if render == nil {
		return nil, fmt.Errorf("%w: %q (want png or svg)", ErrFormat, format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var files []string
	for _, f := range m.figures() {
		b, err := render(f)
		if err != nil {
			return files, err
		}
		path := filepath.Join(dir, f.figureID()+"."+format)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return files, fmt.Errorf("report: %w", err)
		}
		files = append(files, path)
	}
	return files, nil
}
