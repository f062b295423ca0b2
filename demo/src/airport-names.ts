/**
 * Airport names by IATA code from vega-datasets' airports.csv (`iata,name,city,state,...`), for the
 * result table. Names may be quoted and contain commas ("Union County, Troy Shelton").
 */
export async function loadAirportNames(url: string): Promise<Map<string, string>> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} answered HTTP ${response.status}`);
  const names = new Map<string, string>();
  const lines = (await response.text()).split(/\r?\n/);
  for (const line of lines.slice(1)) {
    const fields = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((f) => f.replace(/,$/, '').replace(/^"|"$/g, '').replace(/""/g, '"'));
    if (fields && fields[0]) names.set(fields[0], `${fields[1]}, ${fields[2]} ${fields[3]}`.trim());
  }
  return names;
}
