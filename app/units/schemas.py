from marshmallow import Schema, fields


class UnitSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    kind = fields.Str()
    name_vi = fields.Str()
    name_en = fields.Str()
    parent_code = fields.Function(lambda unit: unit.parent.code if unit.parent else None)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    former_districts = fields.Function(
        lambda unit: [{"code": d.code, "name": d.name} for d in unit.former_districts]
    )
