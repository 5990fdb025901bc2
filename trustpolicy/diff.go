package trustpolicy

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxDiffCells bounds the LCS table; past it (documents far over any IAM
// quota) the diff shows every line as removed and added.
const maxDiffCells = 4 << 20

// Diff returns a readable line diff, in unified format, from before to after
// as indented JSON (Document.Indent): hunks headed "@@ -l,n +l,n @@", lines
// prefixed "-", "+" or " ", with three lines of context. It returns "" when
// the two documents are Equivalent: a change of order (of statements,
// principals, actions or condition values) or of form alone is no change,
// so re-running an edit is a no-op and Apply sends nothing.
func Diff(before, after *Document) string {
	if Equal(before, after) || Equivalent(before, after) {
		return ""
	}
	return unifiedDiff(strings.Split(before.Indent(), "\n"), strings.Split(after.Indent(), "\n"))
}

type diffOp struct {
	kind byte // ' ', '-', '+'
	text string
}

func diffLines(a, b []string) []diffOp {
	// Common prefix and suffix first: an edit usually touches a few lines.
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for _, l := range a[:pre] {
		ops = append(ops, diffOp{' ', l})
	}
	ma, mb := a[pre:len(a)-suf], b[pre:len(b)-suf]
	if len(ma)*len(mb) > maxDiffCells {
		for _, l := range ma {
			ops = append(ops, diffOp{'-', l})
		}
		for _, l := range mb {
			ops = append(ops, diffOp{'+', l})
		}
	} else {
		// lcs[i][j] is the LCS length of ma[i:] and mb[j:].
		w := len(mb) + 1
		lcs := make([]int, (len(ma)+1)*w)
		for i := len(ma) - 1; i >= 0; i-- {
			for j := len(mb) - 1; j >= 0; j-- {
				if ma[i] == mb[j] {
					lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
				} else {
					lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(ma) || j < len(mb) {
			switch {
			case i < len(ma) && j < len(mb) && ma[i] == mb[j]:
				ops = append(ops, diffOp{' ', ma[i]})
				i++
				j++
			case j < len(mb) && (i == len(ma) || lcs[i*w+j+1] >= lcs[(i+1)*w+j]):
				ops = append(ops, diffOp{'+', mb[j]})
				j++
			default:
				ops = append(ops, diffOp{'-', ma[i]})
				i++
			}
		}
	}
	for _, l := range a[len(a)-suf:] {
		ops = append(ops, diffOp{' ', l})
	}
	return ops
}

func unifiedDiff(a, b []string) string {
	ops := diffLines(a, b)
	// Removals before additions within a run of changes reads best.
	for start := 0; start < len(ops); {
		if ops[start].kind == ' ' {
			start++
			continue
		}
		end := start
		for end < len(ops) && ops[end].kind != ' ' {
			end++
		}
		var minus, plus []diffOp
		for _, op := range ops[start:end] {
			if op.kind == '-' {
				minus = append(minus, op)
			} else {
				plus = append(plus, op)
			}
		}
		copy(ops[start:], append(minus, plus...))
		start = end
	}

	var sb strings.Builder
	lineA, lineB := make([]int, len(ops)+1), make([]int, len(ops)+1)
	for i, op := range ops {
		lineA[i+1], lineB[i+1] = lineA[i], lineB[i]
		if op.kind != '+' {
			lineA[i+1]++
		}
		if op.kind != '-' {
			lineB[i+1]++
		}
	}
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(0, i-diffContext)
		end := i
		// Extend the hunk while the next change is within 2*context lines.
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			next := end
			for next < len(ops) && ops[next].kind == ' ' {
				next++
			}
			if next < len(ops) && next-end <= 2*diffContext {
				end = next
				continue
			}
			end = min(len(ops), end+diffContext)
			break
		}
		na, nb := lineA[end]-lineA[start], lineB[end]-lineB[start]
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(lineA[start], na), hunkRange(lineB[start], nb))
		for _, op := range ops[start:end] {
			sb.WriteByte(op.kind)
			sb.WriteString(op.text)
			sb.WriteByte('\n')
		}
		i = end
	}
	return sb.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprintf("%d", start+1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}
