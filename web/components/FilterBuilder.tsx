"use client";
// Filters built from the event schema: pick a field (typed), an operator valid for its type, a value.
import { useState } from "react";
import { needsValue, operatorsByType, useFilterFields, type FieldType, type Filter } from "@/lib/filters";

export function FilterBuilder({ filters, onChange }: { filters: Filter[]; onChange: (filters: Filter[]) => void }) {
  const fields = useFilterFields();
  const [field, setField] = useState("");
  const [operator, setOperator] = useState("is");
  const [value, setValue] = useState("");
  const type: FieldType = fields.data?.find((f) => f.name === field)?.type ?? "string";
  const operators = operatorsByType[type];
  const chosenOperator = operators.includes(operator) ? operator : operators[0];

  function add() {
    if (!field) return;
    const filter: Filter = { field, operator: chosenOperator, type };
    if (needsValue(chosenOperator)) {
      filter.value =
        type === "number" ? Number(value)
        : type === "boolean" ? value === "true"
        : type === "datetime" ? new Date(value).getTime()
        : value;
    }
    onChange([...filters, filter]);
    setValue("");
  }

  const valueMissing = needsValue(chosenOperator) && (value === "" || (type === "number" && Number.isNaN(Number(value))) || (type === "datetime" && Number.isNaN(new Date(value).getTime())));

  return (
    <div className="stack" data-testid="filter-builder">
      <div className="row">
        <input
          list="filter-fields"
          aria-label="Filter field"
          placeholder={fields.isLoading ? "Loading fields…" : "Field (e.g. metadata.cost)"}
          value={field}
          onChange={(e) => setField(e.target.value)}
          style={{ minWidth: 240 }}
        />
        <datalist id="filter-fields">
          {fields.data?.map((f) => <option key={f.name} value={f.name}>{f.type}</option>)}
        </datalist>
        <select aria-label="Filter operator" value={chosenOperator} onChange={(e) => setOperator(e.target.value)}>
          {operators.map((op) => <option key={op} value={op}>{op}</option>)}
        </select>
        {needsValue(chosenOperator) &&
          (type === "boolean" ? (
            <select aria-label="Filter value" value={value} onChange={(e) => setValue(e.target.value)}>
              <option value="">choose</option>
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <input
              aria-label="Filter value"
              type={type === "number" ? "number" : type === "datetime" ? "datetime-local" : "text"}
              value={value}
              placeholder="Value"
              onChange={(e) => setValue(e.target.value)}
              onKeyDown={(e) => e.key === "Enter" && !valueMissing && add()}
            />
          ))}
        <button type="button" onClick={add} disabled={!field || valueMissing}>Add filter</button>
        {field && <span className="muted small">{type}</span>}
      </div>
      {filters.length > 0 && (
        <div className="row" aria-label="Active filters">
          {filters.map((f, i) => (
            <span key={i} className="badge" data-testid="active-filter">
              {f.field} {f.operator} {f.value === undefined ? "" : f.type === "datetime" ? new Date(Number(f.value)).toLocaleString() : String(f.value)}{" "}
              <button type="button" className="link" aria-label={`Remove filter ${f.field}`} onClick={() => onChange(filters.filter((_, j) => j !== i))}>×</button>
            </span>
          ))}
          <button type="button" className="link" onClick={() => onChange([])}>Clear all</button>
        </div>
      )}
    </div>
  );
}
