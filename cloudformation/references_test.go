package cloudformation

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// reference is one use of a name inside the template.
type reference struct {
	path   string // where, e.g. Resources.Vpc.Properties.CidrBlock
	kind   string // Ref, GetAtt, Condition, FindInMap, DependsOn
	target string // the parameter, resource or condition named
	attr   string // GetAtt only
}

// references walks the raw template and returns every reference in it,
// including the ${Name} and ${Resource.Attribute} forms inside Fn::Sub.
func references(t *testing.T, raw map[string]any) []reference {
	t.Helper()
	var refs []reference
	add := func(path, kind, target, attr string) {
		refs = append(refs, reference{path, kind, target, attr})
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case []any:
			for i, item := range x {
				walk(item, fmt.Sprintf("%s[%d]", path, i))
			}
		case map[string]any:
			if len(x) == 1 {
				for k, arg := range x {
					p := path + "." + k
					switch k {
					case "Ref":
						add(p, "Ref", fmt.Sprint(arg), "")
						return
					case "Condition":
						if _, ok := arg.(string); ok {
							add(p, "Condition", arg.(string), "")
							return
						}
					case "Fn::GetAtt":
						res, attr, err := splitGetAtt(arg)
						if err != nil {
							t.Errorf("%s: %v", p, err)
						}
						add(p, "GetAtt", res, attr)
						return
					case "Fn::If":
						if list, ok := arg.([]any); ok && len(list) == 3 {
							add(p, "Condition", fmt.Sprint(list[0]), "")
							walk(list[1], p+"[1]")
							walk(list[2], p+"[2]")
						} else {
							t.Errorf("%s: Fn::If takes [condition, then, else]", p)
						}
						return
					case "Fn::FindInMap":
						list, _ := arg.([]any)
						if len(list) != 3 {
							t.Errorf("%s: Fn::FindInMap takes [map, key, key]", p)
							return
						}
						add(p, "FindInMap", fmt.Sprint(list[0]), "")
						walk(list[1], p+"[1]")
						walk(list[2], p+"[2]")
						return
					case "Fn::Sub":
						text, vars := subParts(t, p, arg)
						for _, m := range subVar.FindAllStringSubmatch(text, -1) {
							name := m[1]
							switch _, isVar := vars[name]; {
							case strings.HasPrefix(name, "!") || isVar:
							case strings.Contains(name, "."):
								res, attr, _ := strings.Cut(name, ".")
								add(p, "GetAtt", res, attr)
							default:
								add(p, "Ref", name, "")
							}
						}
						for name, val := range vars {
							if !strings.Contains(text, "${"+name+"}") {
								t.Errorf("%s: Fn::Sub variable %s is never used", p, name)
							}
							walk(val, p+"."+name)
						}
						return
					}
				}
			}
			for k, item := range x {
				walk(item, path+"."+k)
			}
		}
	}
	for name, r := range section(raw, "Resources") {
		rm := r.(map[string]any)
		p := "Resources." + name
		if c, ok := rm["Condition"]; ok {
			add(p+".Condition", "Condition", fmt.Sprint(c), "")
		}
		switch d := rm["DependsOn"].(type) {
		case string:
			add(p+".DependsOn", "DependsOn", d, "")
		case []any:
			for _, dep := range d {
				add(p+".DependsOn", "DependsOn", fmt.Sprint(dep), "")
			}
		}
		walk(rm["Properties"], p+".Properties")
	}
	for name, o := range section(raw, "Outputs") {
		om := o.(map[string]any)
		if c, ok := om["Condition"]; ok {
			add("Outputs."+name+".Condition", "Condition", fmt.Sprint(c), "")
		}
		walk(om["Value"], "Outputs."+name+".Value")
	}
	for name, c := range section(raw, "Conditions") {
		walk(c, "Conditions."+name)
	}
	for name, r := range section(raw, "Rules") {
		walk(r, "Rules."+name)
	}
	return refs
}

func subParts(t *testing.T, path string, arg any) (string, map[string]any) {
	switch x := arg.(type) {
	case string:
		return x, nil
	case []any:
		if len(x) == 2 {
			text, ok1 := x[0].(string)
			vars, ok2 := x[1].(map[string]any)
			if ok1 && ok2 {
				return text, vars
			}
		}
	}
	t.Errorf("%s: Fn::Sub takes a string or [string, {variables}]", path)
	return "", nil
}

// TestReferencesResolve checks that every Ref, Fn::GetAtt (attribute
// included), ${...} in Fn::Sub, condition, mapping and DependsOn names
// something that exists, and that nothing declared goes unused.
func TestReferencesResolve(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	params, resources := section(l.raw, "Parameters"), section(l.raw, "Resources")
	conditions, mappings := section(l.raw, "Conditions"), section(l.raw, "Mappings")
	used := map[string]bool{}
	for _, r := range references(t, l.raw) {
		used[r.kind+":"+r.target] = true
		switch r.kind {
		case "Ref":
			_, isParam := params[r.target]
			_, isResource := resources[r.target]
			_, isPseudo := pseudoParameters[r.target]
			if !isParam && !isResource && !isPseudo {
				t.Errorf("%s: Ref %s names no parameter, resource or pseudo parameter", r.path, r.target)
			}
			if isParam && !strings.HasPrefix(r.path, "Rules.") { // a rule alone uses nothing
				used["param:"+r.target] = true
			}
		case "GetAtt":
			res, ok := resources[r.target].(map[string]any)
			if !ok {
				t.Errorf("%s: GetAtt %s.%s names no resource", r.path, r.target, r.attr)
				continue
			}
			typ := res["Type"].(string)
			if !slices.Contains(getAttNames[typ], r.attr) {
				t.Errorf("%s: GetAtt %s.%s: %s has no attribute %s", r.path, r.target, r.attr, typ, r.attr)
			}
		case "Condition":
			if _, ok := conditions[r.target]; !ok {
				t.Errorf("%s: no condition %s", r.path, r.target)
			}
		case "DependsOn":
			if _, ok := resources[r.target]; !ok {
				t.Errorf("%s: DependsOn %s names no resource", r.path, r.target)
			}
		case "FindInMap":
			if _, ok := mappings[r.target]; !ok {
				t.Errorf("%s: no mapping %s", r.path, r.target)
			}
		}
	}
	for name := range params {
		if !used["param:"+name] {
			t.Errorf("parameter %s is used by no resource, condition or output", name)
		}
	}
	for name := range conditions {
		if !used["Condition:"+name] {
			t.Errorf("condition %s is never used", name)
		}
	}
	for name := range mappings {
		if !used["FindInMap:"+name] {
			t.Errorf("mapping %s is never used", name)
		}
	}
}

// TestMappingsCoverParameters checks that every allowed value of a
// parameter used as a mapping key is a key of that mapping.
func TestMappingsCoverParameters(t *testing.T) {
	t.Parallel()
	l := mustLoad(t)
	params := section(l.raw, "Parameters")
	for mapName, param := range map[string]string{"NodesPerGroup": "ReplicasPerShard", "ExtraGenerators": "GeneratorCount"} {
		m := section(section(l.raw, "Mappings"), mapName)
		allowed, _ := params[param].(map[string]any)["AllowedValues"].([]any)
		if len(allowed) == 0 {
			t.Errorf("%s has no AllowedValues to key mapping %s", param, mapName)
		}
		for _, v := range allowed {
			key, _ := scalar(v)
			if _, ok := m[key]; !ok {
				t.Errorf("mapping %s has no key %q, an allowed value of %s", mapName, key, param)
			}
		}
	}
}
