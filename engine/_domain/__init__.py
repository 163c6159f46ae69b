"""coopflow's domain operations, one module per capability, as plain functions over a
SQLAlchemy Session.

The :class:`coopflow.Coopflow` facade opens the unit of work (see :mod:`coopflow._binding`),
calls one of these, and commits or rolls back; nothing here commits.  The functions the facade
calls return plain values (:mod:`coopflow._views`), never ORM objects: those stay here, with the
guards and effects that are handed them through :class:`coopflow.FireContext`.

What an operation may do in a state is asked of the workflow definition by capability
(:data:`coopflow._workflow.CAPABILITIES`), never by state name.

- :mod:`.lookup` finds rows by their natural keys; :mod:`.locking` locks a partnership for a
  write or a fire; :mod:`.editing` is what every data entry shares (roles, capabilities, the
  partnership's version);
- :mod:`.parties`, :mod:`.partnerships` (with exchanges), :mod:`.content` (axes, stakes,
  commitments, protocol), :mod:`.deliberations` (délibérations, signatories, avenant changes),
  :mod:`.programmes` (programmes, actions and what they measure);
- :mod:`.firing` (events: check and fire), :mod:`.documents` (render, read, export),
  :mod:`.deadlines` (``due``), :mod:`.migration` (workflow versions), :mod:`.reading`
  (partnerships as listed and in detail, history).
"""
