package report

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The size of every chart: wide enough for a legend beside a minute of
// seconds, small enough for two on a laptop screen.
const (
	chartWidth  = 9 * vg.Inch
	chartHeight = 4 * vg.Inch
)

// palette colors lines by target: baseline blue, candidate orange, then
// the rest of the Okabe–Ito set (readable by the color-blind).
var palette = []color.RGBA{
	{0, 114, 178, 255}, {230, 159, 0, 255}, {0, 158, 115, 255},
	{204, 121, 167, 255}, {86, 180, 233, 255}, {213, 94, 0, 255}, {0, 0, 0, 255},
}

// dashes tell quantities apart within a target's color.
var dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1.5), vg.Points(2)}}

// draw draws c on dc: the plot, and its legend in a column to the right,
// where it never hides a line.
//
// The y axis' title is drawn here, in a column to the left, rather than by
// gonum: gonum centres it at the arithmetic middle of the axis range, which
// on a log axis sits near the top and pushes the plot down to make room.
func drawChart(c *Chart, dc draw.Canvas) error {
	p, legend, err := plotOf(c)
	if err != nil {
		return err
	}
	w := vg.Length(0)
	if len(c.Lines) > 0 {
		r := legend.Rectangle(dc)
		w = r.Max.X - r.Min.X + vg.Points(12)
	}
	sty := p.Y.Label.TextStyle
	sty.Rotation = math.Pi / 2
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YTop
	left := sty.Height(c.YLabel) + p.Y.Label.Padding + vg.Points(4) // room for a browser's wider font
	p.Y.Label.Text = ""
	dc.FillText(sty, vg.Point{X: dc.Min.X, Y: (dc.Min.Y + dc.Max.Y) / 2}, c.YLabel)
	p.Draw(draw.Crop(dc, left, -w, 0, 0))
	if w > 0 {
		legend.Draw(draw.Crop(dc, dc.Max.X-dc.Min.X-w+vg.Points(6), 0, 0, -vg.Points(24)))
	}
	return nil
}

// plotOf makes the plot of c and its legend.
func plotOf(c *Chart) (*plot.Plot, plot.Legend, error) {
	p := plot.New()
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	p.Title.Text = c.Title
	p.X.Label.Text = c.XLabel
	p.Y.Label.Text = c.YLabel
	if len(c.Spans) > 0 {
		p.Add(spans{chart: c}) // beneath the grid and the lines
	}
	p.Add(plotter.NewGrid())
	if c.LogY {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = logTicks{}
	}
	if c.Nines {
		p.X.Tick.Marker = ninesTicks{}
	}
	if !c.Clock.IsZero() {
		p.X.Tick.Marker = clockTicks{zero: c.Clock}
	}
	for _, l := range c.Lines {
		style := draw.LineStyle{Color: palette[l.Color%len(palette)], Width: vg.Points(1.5), Dashes: dashes[l.Dash%len(dashes)]}
		drawn := false
		for _, seg := range segments(l.Points, c.LogY) {
			if len(seg) == 1 { // a lone point between gaps: a dot, or it would vanish
				dot, err := plotter.NewScatter(seg)
				if err != nil {
					return nil, legend, fmt.Errorf("chart %s: line %s: %w", c.ID, l.Label, err)
				}
				dot.GlyphStyle = draw.GlyphStyle{Color: style.Color, Radius: vg.Points(1.5), Shape: draw.CircleGlyph{}}
				p.Add(dot)
				drawn = true
				continue
			}
			line, err := plotter.NewLine(seg)
			if err != nil {
				return nil, legend, fmt.Errorf("chart %s: line %s: %w", c.ID, l.Label, err)
			}
			line.LineStyle = style
			p.Add(line)
			drawn = true
		}
		if drawn {
			legend.Add(l.Label, &plotter.Line{LineStyle: style})
		}
	}
	seen := map[string]bool{}
	for _, sp := range c.Spans {
		if !seen[sp.Label] {
			seen[sp.Label] = true
			legend.Add("phase "+sp.Label, shadeThumb{shades[sp.Shade%len(shades)]})
		}
	}
	if c.LogY && p.Y.Min <= 0 { // no positive data: keep the axis drawable
		p.Y.Min, p.Y.Max = 0.001, 1
	}
	if c.LogY { // headroom: a line at the extremes must not hide in the axis
		p.Y.Min, p.Y.Max = p.Y.Min/1.15, p.Y.Max*1.15
	}
	if !c.LogY && p.Y.Min > 0 {
		p.Y.Min = 0 // rates from zero: a dip must look like one
	}
	if !c.LogY && p.Y.Max > 0 {
		p.Y.Max *= 1.05 // headroom above the highest point
	}
	if c.XMax > c.XMin {
		p.X.Min, p.X.Max = c.XMin, c.XMax
	}
	return p, legend, nil
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

// logTicks labels a log axis at 1, 2 and 5 times each power of ten, with
// minor ticks between: latencies of one engine often span less than a
// decade, where plot.LogTicks would label nothing.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for m := 1; m < 10; m++ {
			v := float64(m) * math.Pow(10, e)
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			ts = append(ts, t)
		}
	}
	return ts
}

// ninesTicks labels a nines axis with percentiles: 0, 90, 99, 99.9, …
type ninesTicks struct{}

func (ninesTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for n := math.Ceil(lo); n <= math.Floor(hi); n++ {
		p := 100 * (1 - math.Pow(10, -n))
		ts = append(ts, plot.Tick{Value: n, Label: strconv.FormatFloat(p, 'f', max(0, int(n)-2), 64)})
	}
	return ts
}

// svgProlog matches what vgsvg writes before the <svg> element, and
// svgNamespaces its namespace declarations: an SVG element inside HTML
// needs neither.
var (
	svgProlog     = regexp.MustCompile(`(?s)\A.*?(<svg\b)`)
	svgNamespaces = regexp.MustCompile(`\s+xmlns(:xlink)?="[^"]*"`)
)

// SVG renders c as a standalone SVG document.
func SVG(c *Chart) ([]byte, error) {
	canvas := vgsvg.New(chartWidth, chartHeight)
	if err := drawChart(c, draw.New(canvas)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	return b.Bytes(), nil
}

// inlineSVG renders c as an <svg> element to inline in HTML.
func inlineSVG(c *Chart) (string, error) {
	b, err := SVG(c)
	if err != nil {
		return "", err
	}
	b = svgProlog.ReplaceAll(b, []byte("$1"))
	b = svgNamespaces.ReplaceAll(b, nil)
	return string(b), nil
}

// PNG renders c as a PNG image.
func PNG(c *Chart) ([]byte, error) {
	canvas := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(144))}
	if err := drawChart(c, draw.New(canvas)); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := canvas.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	return b.Bytes(), nil
}

// WriteCharts writes every chart of m with data into dir as ID.svg or
// ID.png (format "svg" or "png") and returns the files written.
func WriteCharts(dir, format string, m *Model) ([]string, error) {
	render := map[string]func(*Chart) ([]byte, error){"svg": SVG, "png": PNG}[format]
	if render == nil {
		return nil, fmt.Errorf("%w: %q (want png or svg)", ErrFormat, format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var files []string
	for _, c := range m.Charts() {
		if len(c.Lines) == 0 {
			continue
		}
		b, err := render(c)
		if err != nil {
			return files, err
		}
		path := filepath.Join(dir, c.ID+"."+format)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			return files, fmt.Errorf("report: %w", err)
		}
		files = append(files, path)
	}
	return files, nil
}
