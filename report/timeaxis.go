package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// shades fill the spans of the scenario's phases: light enough that lines
// stay readable over them, and told apart by name.
var shades = []color.RGBA{
	{232, 232, 232, 255}, {255, 236, 204, 255}, {214, 234, 248, 255},
	{221, 242, 221, 255}, {242, 222, 236, 255}, {245, 245, 210, 255},
}

// spans draws a chart's spans beneath its grid and lines: a shaded band
// from the bottom to the top of the plot area, its label in its top left
// corner when it fits.
type spans struct{ chart *Chart }

func (s spans) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	sty := p.X.Tick.Label
	sty.Font.Size = vg.Points(8)
	sty.Color = color.Gray{Y: 80}
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
	pad := vg.Points(2)
	for _, sp := range s.chart.Spans {
		from, to := max(sp.From, p.X.Min), min(sp.To, p.X.Max)
		if to <= from {
			continue
		}
		x0, x1 := trX(from), trX(to)
		c.FillPolygon(shades[sp.Shade%len(shades)], []vg.Point{
			{X: x0, Y: c.Min.Y}, {X: x1, Y: c.Min.Y}, {X: x1, Y: c.Max.Y}, {X: x0, Y: c.Max.Y},
		})
		if sty.Width(sp.Label)+2*pad <= x1-x0 {
			c.FillText(sty, vg.Point{X: x0 + pad, Y: c.Max.Y - pad}, sp.Label)
		}
	}
}

// shadeThumb is a phase's entry in the legend: a swatch of its shade.
type shadeThumb struct{ color color.Color }

func (t shadeThumb) Thumbnail(c *draw.Canvas) {
	c.FillPolygon(t.color, []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	})
}

// clockTicks labels an axis of seconds since zero with UTC times of day, at
// round clock times (every 10 s, 5 min, 1 h, …), about 4 to 8 of them.
type clockTicks struct{ zero time.Time }

// tickSpacings are the clock intervals ticks may be apart.
var tickSpacings = []time.Duration{
	time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 7 * 24 * time.Hour,
}

func (t clockTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	spacing := tickSpacings[len(tickSpacings)-1]
	for _, s := range tickSpacings {
		if (hi-lo)/s.Seconds() <= 8 {
			spacing = s
			break
		}
	}
	format := "15:04"
	switch {
	case spacing < time.Minute:
		format = "15:04:05"
	case spacing >= 24*time.Hour:
		format = "Jan 2"
	}
	zero := t.zero.UnixNano()
	step := spacing.Nanoseconds()
	first := int64(math.Ceil((float64(zero)+lo*1e9)/float64(step))) * step
	var ts []plot.Tick
	for v := first; float64(v-zero)/1e9 <= hi+1e-9; v += step {
		at := time.Unix(0, v).UTC()
		label := at.Format(format)
		if spacing < 24*time.Hour && at.Hour() == 0 && at.Minute() == 0 && at.Second() == 0 {
			label = at.Format("Jan 2") // midnight: say which day
		}
		ts = append(ts, plot.Tick{Value: float64(v-zero) / 1e9, Label: label})
	}
	return ts
}

// secondsTicks labels an axis of seconds since the run's start at round
// steps (1, 2, 5, 10, 15, 30 s, 1, 2, 5 min, …), the finest that keeps
// the labels at most labels (10 if 0), with unlabelled ticks between: on
// a small chart a 20 s run gets a label every 5 s, an hour one every 10
// min.
type secondsTicks struct{ labels int }

// secondSpacings are the steps secondsTicks may label, in seconds.
var secondSpacings = []float64{0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800}

func (t secondsTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	labels := t.labels
	if labels <= 0 {
		labels = 10
	}
	step := secondSpacings[len(secondSpacings)-1]
	for _, s := range secondSpacings {
		if math.Floor(hi/s)-math.Ceil(lo/s)+1 <= float64(labels) {
			step = s
			break
		}
	}
	minor := step / 5 // 15 s, 15 min: thirds
	if step == 15 || step == 900 || step == 10800 {
		minor = step / 3
	}
	var ts []plot.Tick
	for i := math.Ceil(lo / minor); i*minor <= hi+1e-9; i++ {
		v := round(i * minor)
		t := plot.Tick{Value: v}
		if r := v / step; math.Abs(r-math.Round(r)) < 1e-6 {
			t.Label = secondsLabel(v)
		}
		ts = append(ts, t)
	}
	return ts
}

// secondsLabel writes seconds as a short duration: 0, 5s, 1m30s, 2h, 1d6h.
func secondsLabel(s float64) string {
	if s == 0 {
		return "0"
	}
	if s < 60 {
		return strconv.FormatFloat(round(s), 'f', -1, 64) + "s"
	}
	d := time.Duration(math.Round(s)) * time.Second
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		fmt.Fprintf(&b, "%dd", days)
		d -= days * 24 * time.Hour
	}
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, u.name)
			d -= n * u.unit
		}
	}
	return b.String()
}
