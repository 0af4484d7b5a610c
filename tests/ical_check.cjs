// Parse a calendar from stdin with Mozilla's ical.js (the parser Thunderbird uses) and print what it read
// as JSON; the mail and calendar tests compare it with what they expect. Exits non-zero on a parse error.
const ICAL = require("ical.js");

const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const text = Buffer.concat(chunks).toString("utf8");
  const calendar = new ICAL.Component(ICAL.parse(text));
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const organizer = vevent.getFirstProperty("organizer");
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      description: event.description,
      location: event.location,
      status: vevent.getFirstPropertyValue("status"),
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      start_is_utc: event.startDate.zone === ICAL.Timezone.utcTimezone,
      dtstamp_is_utc: vevent.getFirstPropertyValue("dtstamp").zone === ICAL.Timezone.utcTimezone,
      organizer: organizer ? organizer.getFirstValue() : null,
      organizer_cn: organizer ? organizer.getParameter("cn") : null,
      attendees: event.attendees.map((a) => ({ value: a.getFirstValue(), cn: a.getParameter("cn") || null })),
      property_names: vevent.getAllProperties().map((p) => p.name).sort(),
    };
  });
  process.stdout.write(JSON.stringify({
    method: calendar.getFirstPropertyValue("method"),
    version: calendar.getFirstPropertyValue("version"),
    events,
  }));
});
