package report

import (
	"image/color"
	"math"
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
