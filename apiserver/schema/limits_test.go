package schema

import "testing"

func TestLimitsValidate(t *testing.T) {
	t.Parallel()
	if err := DefaultLimits().Validate(); err != nil {
		t.Fatalf("DefaultLimits().Validate() = %v", err)
	}
	tests := []struct {
		name   string
		change func(*Limits)
	}{
		{"zero", func(l *Limits) { *l = Limits{} }},
		{"cpu range empty", func(l *Limits) { l.MinCPU, l.MaxCPU = 2, 1 }},
		{"default cpu outside", func(l *Limits) { l.DefaultCPU = 32 }},
		{"memory range empty", func(l *Limits) { l.MaxMemory = 2 }},
		{"default memory outside", func(l *Limits) { l.DefaultMemory = 1 }},
		{"disk range empty", func(l *Limits) { l.MinDisk = 0 }},
		{"default disk outside", func(l *Limits) { l.DefaultDisk = 1000 }},
		{"no image drivers", func(l *Limits) { l.ImageDrivers = nil }},
		{"unknown default driver", func(l *Limits) { l.DefaultImageDriver = "rkt" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := DefaultLimits()
			tt.change(&l)
			if err := l.Validate(); err == nil {
				t.Fatalf("Validate() accepted %+v", l)
			}
		})
	}
}
