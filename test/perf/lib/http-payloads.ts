/** Request bodies of shape 5, shared by the server (which reports the cases the notes go to) and the load. */

export const BARE_PATH = '/bench/bare'

export const REPORT_BODY = JSON.stringify({
  kind: 'repair',
  category: 'lift',
  title: 'Lift in building 3 stops between floors',
  description: 'The lift stops between the 5th and 6th floor about once a day; twice with people inside.',
  channel: 'app',
  priority: 'high',
  location: { building: 'B3', unit: '602' },
  reporterId: 'resident-42',
})

export const NOTE_BODY = JSON.stringify({ body: 'Technician on site; the door sensor was cleaned and the lift tested.', visibility: 'public' })
