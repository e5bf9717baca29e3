#!/usr/bin/env node
// Validates CyberCantal's LMN exports with the reference implementation of the national
// "schéma des lieux de médiation numérique" (npm package @gouvfr-anct/lieux-de-mediation-numerique,
// pinned in package.json / package-lock.json).
//
// Usage: node validate.mjs EXPORT.csv EXPORT.json   (one or both; the type comes from the extension)
//
// Every row goes through the package's own transfer function fromSchemaLieuDeMediationNumerique()
// (which builds the model and throws a ModelError on an invalid identifier, name, pivot, address,
// postal/INSEE code, coordinates, telephone, enumeration value or URL), then back through
// toSchemaLieuMediationNumerique(). The transfer does not look at some columns, so they are checked
// here with the package's own predicates too: every e-mail (isValidCourriel), every web site
// (isValidUrl) and date_maj (ISO date, as the schema requires).
//
// Prints one line per invalid row and a count per file; exits 1 when any row is invalid, when a file
// cannot be read, has the wrong columns or has no row at all, 0 otherwise.

import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import lmn from '@gouvfr-anct/lieux-de-mediation-numerique';

const {
  fromSchemaLieuDeMediationNumerique,
  toSchemaLieuMediationNumerique,
  isValidCourriel,
  isValidUrl,
} = lmn;

// Columns of schema v1.0.2, in the schema's order (schema.data.gouv.fr, LaMednum/standard-mediation-num).
export const COLUMNS = [
  'id', 'pivot', 'nom', 'commune', 'code_postal', 'code_insee', 'adresse', 'complement_adresse',
  'latitude', 'longitude', 'typologie', 'telephone', 'courriels', 'site_web', 'horaires',
  'presentation_resume', 'presentation_detail', 'source', 'itinerance', 'structure_parente', 'date_maj',
  'services', 'publics_specifiquement_adresses', 'prise_en_charge_specifique', 'frais_a_charge',
  'dispositif_programmes_nationaux', 'formations_labels', 'autres_formations_labels', 'modalites_acces',
  'modalites_accompagnement', 'fiche_acces_libre', 'prise_rdv',
];
const REQUIRED = ['id', 'pivot', 'nom', 'commune', 'code_postal', 'adresse', 'date_maj'];
const NUMBERS = new Set(['latitude', 'longitude']);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/u;

/** RFC 4180 CSV: quoted fields, doubled quotes, line breaks inside quotes, optional BOM. */
export function parseCsv(text, delimiter = ',') {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += c;
    }
  }
  if (quoted) throw new Error('guillemet non refermé en fin de fichier');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** The problems of one row in the schema's flat shape (the CSV and JSON transfer shape). */
export function rowProblems(item) {
  const problems = [];
  for (const key of Object.keys(item)) {
    if (!COLUMNS.includes(key)) problems.push(`colonne inconnue « ${key} »`);
  }
  for (const key of REQUIRED) {
    if (item[key] == null || item[key] === '') problems.push(`${key} : valeur obligatoire absente`);
  }
  for (const key of NUMBERS) {
    if (item[key] != null && (typeof item[key] !== 'number' || Number.isNaN(item[key]))) {
      problems.push(`${key} : nombre attendu, reçu ${JSON.stringify(item[key])}`);
    }
  }
  for (const [key, value] of Object.entries(item)) {
    if (value != null && !NUMBERS.has(key) && typeof value !== 'string') {
      problems.push(`${key} : texte attendu, reçu ${JSON.stringify(value)}`);
    }
  }
  if (problems.length > 0) return problems;
  const dateOk = ISO_DATE.test(item.date_maj) && !Number.isNaN(new Date(item.date_maj).getTime());
  try {
    const lieu = fromSchemaLieuDeMediationNumerique(item);
    if (dateOk) toSchemaLieuMediationNumerique(lieu); // an invalid date would only repeat the error below
  } catch (error) {
    problems.push(`${error.key ?? 'transfert'} : ${error.message}`);
  }
  for (const courriel of item.courriels ? item.courriels.split('|') : []) {
    if (!isValidCourriel(courriel)) problems.push(`courriels : « ${courriel} » n'est pas un courriel valide`);
  }
  for (const url of item.site_web ? item.site_web.split('|') : []) {
    if (!isValidUrl(url)) problems.push(`site_web : « ${url} » n'est pas une URL valide`);
  }
  if (!dateOk) {
    problems.push(`date_maj : « ${item.date_maj} » n'est pas une date AAAA-MM-JJ`);
  }
  return problems;
}

function csvItems(text) {
  const [header, ...rows] = parseCsv(text);
  if (header == null) throw new Error('fichier vide');
  if (header.join(',') !== COLUMNS.join(',')) {
    const missing = COLUMNS.filter((c) => !header.includes(c));
    const extra = header.filter((c) => !COLUMNS.includes(c));
    throw new Error(
      `en-tête non conforme au schéma v1.0.2 (manquantes : ${missing.join(', ') || 'aucune'} ; ` +
        `en trop : ${extra.join(', ') || 'aucune'} ; l'ordre doit être celui du schéma)`,
    );
  }
  return rows.map((cells, index) => {
    const line = index + 2;
    if (cells.length !== header.length) {
      return { line, item: null, problem: `${cells.length} cellules au lieu de ${header.length}` };
    }
    const item = {};
    header.forEach((column, position) => {
      const cell = cells[position];
      if (cell === '') return; // an empty cell is an absent value, as in the package's own CSV reading
      item[column] = NUMBERS.has(column) ? Number(cell) : cell;
    });
    return { line, item };
  });
}

function jsonItems(text) {
  const data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!Array.isArray(data)) throw new Error('une liste d’objets est attendue');
  return data.map((item, index) => {
    const line = index + 1;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      return { line, item: null, problem: 'objet attendu' };
    }
    const cleaned = Object.fromEntries(Object.entries(item).filter(([, value]) => value !== null));
    return { line, item: cleaned };
  });
}

function validateFile(path) {
  const kind = extname(path).toLowerCase() === '.json' ? 'JSON' : 'CSV';
  const where = kind === 'JSON' ? 'objet' : 'ligne';
  let entries;
  try {
    const text = readFileSync(path, 'utf8');
    entries = kind === 'JSON' ? jsonItems(text) : csvItems(text);
  } catch (error) {
    console.error(`${path} : illisible — ${error.message}`);
    return { ok: false, ids: new Set() };
  }
  let invalid = 0;
  const ids = new Set();
  for (const { line, item, problem } of entries) {
    const problems = problem ? [problem] : rowProblems(item);
    if (item?.id != null) {
      if (ids.has(item.id)) problems.push(`id « ${item.id} » en double`);
      ids.add(item.id);
    }
    if (problems.length > 0) {
      invalid += 1;
      console.error(`${path} ${where} ${line} : ${problems.join(' ; ')}`);
    }
  }
  const valid = entries.length - invalid;
  console.log(`${kind} ${path} : ${entries.length} lieux, ${valid} valides, ${invalid} invalides`);
  if (entries.length === 0) console.error(`${path} : aucun lieu à valider`);
  return { ok: invalid === 0 && entries.length > 0, ids };
}

function main(paths) {
  if (paths.length === 0) {
    console.error('Usage : node validate.mjs EXPORT.csv EXPORT.json');
    return 2;
  }
  const results = paths.map(validateFile);
  let ok = results.every((r) => r.ok);
  if (results.length === 2 && results[0].ok && results[1].ok) {
    const [a, b] = results.map((r) => r.ids);
    const same = a.size === b.size && [...a].every((id) => b.has(id));
    if (!same) {
      console.error('Les deux fichiers ne décrivent pas les mêmes lieux (identifiants différents).');
      ok = false;
    }
  }
  console.log(ok ? 'Conforme au schéma LMN v1.0.2.' : 'NON conforme au schéma LMN v1.0.2.');
  return ok ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
