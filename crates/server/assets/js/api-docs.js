// The browsable API page: fetches the OpenAPI 3.1 document this binary
// serves and lists each operation with its parameters, request body,
// responses and the component schemas. Built with DOM calls only (no
// innerHTML, nothing inline), so it runs under the dashboard's CSP.

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
};

// A schema as one line: `$ref` names, arrays, unions and primitive types.
function describe(schema) {
  if (!schema) return "any";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.oneOf) return schema.oneOf.map(describe).join(" | ");
  if (schema.allOf) return schema.allOf.map(describe).join(" & ");
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "any"];
  return types
    .map((t) => (t === "array" ? `${describe(schema.items)}[]` : t))
    .join(" | ");
}

function operation(path, method, op) {
  const box = el("details", { class: "card", id: op.operationId ?? `${method}-${path}` });
  box.append(el("summary", {}, el("code", {}, `${method.toUpperCase()} ${path}`), ` — ${op.tags?.join(", ") ?? ""}`));
  if (op.description || op.summary) box.append(el("p", {}, op.summary ?? "", " ", op.description ?? ""));
  if (op.parameters?.length) {
    const rows = op.parameters.map((p) =>
      el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in), el("td", {}, p.required ? "required" : "optional"), el("td", {}, describe(p.schema))),
    );
    box.append(el("h4", {}, "Parameters"), el("table", {}, ...rows));
  }
  if (op.requestBody) {
    const types = Object.entries(op.requestBody.content ?? {}).map(([t, c]) => `${t}: ${describe(c.schema)}`);
    box.append(el("h4", {}, "Request body"), el("p", {}, op.requestBody.description ?? "", " ", types.join(", ")));
  }
  const rows = Object.entries(op.responses ?? {}).map(([status, r]) => {
    const types = Object.entries(r.content ?? {}).map(([t, c]) => `${t}: ${describe(c.schema)}`);
    return el("tr", {}, el("td", {}, status), el("td", {}, r.description ?? ""), el("td", {}, types.join(", ")));
  });
  box.append(el("h4", {}, "Responses"), el("table", {}, ...rows));
  return box;
}

function schemaCard(name, schema) {
  const box = el("details", { class: "card", id: `schema-${name}` });
  box.append(el("summary", {}, el("code", {}, name)));
  const required = new Set(schema.required ?? []);
  const rows = Object.entries(schema.properties ?? {}).map(([prop, s]) =>
    el("tr", {}, el("td", {}, el("code", {}, prop)), el("td", {}, describe(s)), el("td", {}, required.has(prop) ? "required" : ""), el("td", {}, s.description ?? "")),
  );
  if (rows.length) box.append(el("table", {}, ...rows));
  else box.append(el("p", {}, describe(schema)));
  return box;
}

async function main() {
  const root = document.getElementById("api-docs");
  const status = document.getElementById("api-status");
  let doc;
  try {
    const response = await fetch("/v1/thermaliq/openapi.json");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    doc = await response.json();
  } catch (e) {
    status.textContent = `Could not load the document: ${e.message}`;
    return;
  }
  status.remove();
  root.append(el("h1", {}, `${doc.info.title} ${doc.info.version}`), el("p", {}, `OpenAPI ${doc.openapi}. ${doc.info.description ?? ""}`));
  root.append(el("h2", {}, "Operations"));
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of ["get", "put", "post", "delete", "patch"]) {
      if (item[method]) root.append(operation(path, method, item[method]));
    }
  }
  root.append(el("h2", {}, "Schemas"));
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) root.append(schemaCard(name, schema));
}

main();
