// Starts the NHS.UK frontend's components (header menu, skip link, error
// summary focus). A module, so browsers too old for the design system's
// JavaScript skip it and get the plain, working HTML.
import { initAll } from "/static/nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
