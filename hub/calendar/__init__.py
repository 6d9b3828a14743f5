"""The working-day calendar authority: signed calendar versions, and the calendar in force."""
