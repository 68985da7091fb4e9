// Builds the front end from npm packages into build/static (git-ignored; never commit its output).
import { compile } from "sass";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "build", "static");
const govuk = join(root, "node_modules", "govuk-frontend", "dist", "govuk");

mkdirSync(join(out, "css"), { recursive: true });
mkdirSync(join(out, "js"), { recursive: true });

const css = compile(join(root, "frontend", "scss", "main.scss"), {
  loadPaths: [join(root, "node_modules", "govuk-frontend", "dist")],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(join(out, "css", "govuk.css"), css.css);

cpSync(join(govuk, "govuk-frontend.min.js"), join(out, "js", "govuk-frontend.min.js"));
cpSync(join(root, "node_modules", "htmx.org", "dist", "htmx.min.js"), join(out, "js", "htmx.min.js"));
cpSync(join(govuk, "assets", "images"), join(out, "govuk", "assets", "images"), { recursive: true });
console.log(`front end built into ${out}`);
