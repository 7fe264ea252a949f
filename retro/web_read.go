package retro

import "html/template"

// BodyHTML returns the section's Markdown body as HTML, rendered exactly as
// in the printable page (see Retrospective.HTML): goldmark's safe mode, raw
// HTML shown as the text it was typed as, link and image targets limited to
// safe schemes, and headings moved two levels down, below the section's own
// heading. It is for pages that show a retrospective inside their own
// layout. The error is non-nil only for a failure to render.
func (s *Section) BodyHTML() (template.HTML, error) { return renderBody(s.Body) }
