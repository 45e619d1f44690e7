"""The built-in specs as they validated: generated from templates/*.toml.

load_spec() builds a spec from here, without validating it again, when
the file's text is the one it was generated from (its SHA-256 below).

Do not edit: regenerate with ``python -m xlsxform.spec.generate``.
"""

from __future__ import annotations

from collections.abc import Callable

from xlsxform.spec.layout import (
    Checks,
    Column,
    ExprCell,
    FieldCell,
    FieldSpec,
    FixedSection,
    Font,
    Group,
    IndicatorSection,
    Instructions,
    LabelCell,
    Level,
    Meta,
    Node,
    NoteSection,
    Page,
    Protection,
    Rule,
    RuleSpec,
    Spec,
    Style,
    TableSection,
    TitleSection,
    Total,
)


def city_department_performance() -> Spec:
    return Spec.model_construct(
        form=Meta.model_construct(
            id="city-department-performance",
            version="1",
            name="市级部门整体预算绩效目标表",
            sheet="绩效目标表",
            title="{year}年市级部门整体预算绩效目标表",
        ),
        protection=Protection.model_construct(
            allow=[
                "insertRows",
                "formatCells",
                "formatColumns",
                "formatRows",
            ],
        ),
        validation={
            "amount": Rule.model_construct(
                title="金额（万元）",
                prompt="请填写不小于0的数字，单位为万元，最多6位小数；不要填写文字或“万元”。",
                error="金额须为不小于0的数字（万元），最多6位小数。",
            ),
            "count": Rule.model_construct(
                title="人数或单位数",
                prompt="请填写不小于0的整数。",
                error="须为不小于0的整数。",
            ),
            "text": Rule.model_construct(
                title="文字",
                prompt="最多{max}个字。",
                error="内容过长：最多{max}个字，请精简。",
            ),
            "level1": Rule.model_construct(
                title="一级指标",
                prompt="请从列表中选择一级指标。",
                error="一级指标须从列表中选择。",
            ),
            "level2": Rule.model_construct(
                title="二级指标",
                prompt="请从列表中选择二级指标。",
                error="二级指标须从列表中选择。",
            ),
            "label": Rule.model_construct(
                title="栏目名称",
                prompt="这是表格的栏目名称，请勿修改。",
                error="栏目名称不能修改。",
            ),
        },
        instructions=Instructions.model_construct(
            sheet="填表说明",
            title="{year}年市级部门整体预算绩效目标表 填表说明",
            lines=[
                "一、填报主体：本表由市级一级预算单位填写，每个部门一张表。",
                "二、填写范围：白色单元格可以填写；栏目名称、合计和公式单元格已锁定，无需也不能修改。",
                "三、单位：所有金额以“万元”为单位，直接填写数字（如 776.8），不要填写“万元”等文字，最多6位小数。财政供养人员数、下属二级单位数填写整数。",
                "四、部门名称：填写部门全称，与预算系统一致。",
                "五、总体绩效目标：逐条填写，每条以“目标1：”“目标2：”开头，条目之间换行（单元格内换行：Excel/WPS 按 Alt+Enter，LibreOffice 按 Ctrl+Enter）。",
                "六、年度重点工作任务：每行一项任务，填写名称、主要实施内容、拟投入的资金（万元）和期望达到的目标。“合计”行自动求和。",
                "七、其他需完成的任务（可选填）：填写方式同上，其资金不计入重点工作任务合计。",
                "八、绩效指标：一级、二级指标已按指标体系列出，请在每个二级指标下填写三级指标名称和指标值（如“≥95%”“100%”“{year}.12.31”）；某个二级指标确实没有内容时可填“无”。每个一级指标下至少填写一个三级指标；三级指标名称和指标值须同时填写。",
                "九、校验规则：（1）基本支出＋项目支出＝财政拨款＋其他资金（两个合计不相等时显示为红色）；（2）年度重点工作任务的拟投入资金合计不超过项目支出；（3）财政专项资金＋其他事业发展性支出＝市本级使用资金＋拟用于对下转移支付资金；（4）财政专项资金＋其他事业发展性支出一般不超过项目支出（超过时提示核实）。",
                "十、增加行：任务或指标行不够时，选中该部分中已有的某一行（例如第二行），在 Excel/WPS 中右键选择“插入”→“整行”，在 LibreOffice 中右键选择“在上方插入行”。新行在该部分之内，合计公式自动包括新行。请不要在“合计”行下方或表格之外插入行，也不要删除栏目行。",
                "十一、请勿修改工作表名称、删除工作表或复制到新的工作簿中填写；填好后保存为 .xlsx 文件发回。",
            ],
        ),
        page=Page.model_construct(
            paper="A4",
            orientation="portrait",
            fit_to_width=True,
            margins={
                "left": 1.5,
                "right": 1.5,
                "top": 1.8,
                "bottom": 1.8,
                "header": 0.8,
                "footer": 0.8,
            },
        ),
        fonts={
            "title": Font.model_construct(
                name="方正小标宋简体",
                fallback="宋体",
                size=20.0,
            ),
            "body": Font.model_construct(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=12.0,
            ),
            "note": Font.model_construct(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=11.0,
            ),
        },
        columns={
            "A": 15.0,
            "B": 21.0,
            "C": 27.0,
            "D": 22.0,
            "E": 27.0,
        },
        styles={
            "title": Style.model_construct(
                font="title",
                align="center",
                border=False,
            ),
            "label": Style.model_construct(
                font="body",
                align="center",
            ),
            "total": Style.model_construct(
                font="body",
                align="center",
                bold=True,
            ),
            "text": Style.model_construct(
                font="body",
                align="left",
            ),
            "amount": Style.model_construct(
                font="body",
                align="right",
                number_format="#,##0.00",
            ),
            "count": Style.model_construct(
                font="body",
                align="center",
                number_format="0",
            ),
            "note": Style.model_construct(
                font="note",
                align="left",
                border=False,
            ),
        },
        groups={
            "budget": Group.model_construct(
                label="预算整体情况",
                model="Budget",
            ),
        },
        fields={
            "department": FieldSpec.model_construct(
                type="text",
                label="部门名称",
                max_length=100,
            ),
            "staff": FieldSpec.model_construct(
                type="count",
                label="财政供养人员数",
            ),
            "subunits": FieldSpec.model_construct(
                type="count",
                label="下属二级单位数",
            ),
            "budget.basic": FieldSpec.model_construct(
                type="amount",
                label="基本支出",
            ),
            "budget.project": FieldSpec.model_construct(
                type="amount",
                label="项目支出",
            ),
            "budget.fiscal": FieldSpec.model_construct(
                type="amount",
                label="财政拨款",
            ),
            "budget.other_funds": FieldSpec.model_construct(
                type="amount",
                label="其他资金",
            ),
            "budget.special": FieldSpec.model_construct(
                type="amount",
                label="财政专项资金",
            ),
            "budget.other_development": FieldSpec.model_construct(
                type="amount",
                label="其他事业发展性支出",
            ),
            "budget.city_level": FieldSpec.model_construct(
                type="amount",
                label="市本级使用资金",
            ),
            "budget.transfer": FieldSpec.model_construct(
                type="amount",
                label="拟用于对下转移支付资金",
            ),
            "goals": FieldSpec.model_construct(
                type="lines",
                label="总体绩效目标",
                max_length=5000,
                numbered="目标{n}：",
            ),
        },
        sections=[
            TitleSection.model_construct(
                kind="title",
                text="{year}年市级部门整体预算绩效目标表",
                height=40.0,
            ),
            FixedSection.model_construct(
                label="部门名称",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="department",
                            span=4,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="基本信息",
                kind="fixed",
                rows=[
                    [
                        LabelCell.model_construct(
                            label="财政供养人员数",
                        ),
                        FieldCell.model_construct(
                            field="staff",
                        ),
                        LabelCell.model_construct(
                            label="下属二级单位数",
                        ),
                        FieldCell.model_construct(
                            field="subunits",
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="预算整体情况",
                kind="fixed",
                rows=[
                    [
                        LabelCell.model_construct(
                            label="部门预算支出",
                        ),
                        LabelCell.model_construct(
                            label="预算金额（万元）",
                        ),
                        LabelCell.model_construct(
                            label="收入来源",
                        ),
                        LabelCell.model_construct(
                            label="预算金额（万元）",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="基本支出",
                        ),
                        FieldCell.model_construct(
                            field="budget.basic",
                        ),
                        LabelCell.model_construct(
                            label="财政拨款",
                        ),
                        FieldCell.model_construct(
                            field="budget.fiscal",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="项目支出",
                        ),
                        FieldCell.model_construct(
                            field="budget.project",
                        ),
                        LabelCell.model_construct(
                            label="其他资金",
                        ),
                        FieldCell.model_construct(
                            field="budget.other_funds",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="支出合计",
                            total=True,
                        ),
                        ExprCell.model_construct(
                            expr="sum(budget.basic, budget.project)",
                            name="expense_total",
                        ),
                        LabelCell.model_construct(
                            label="收入合计",
                            total=True,
                        ),
                        ExprCell.model_construct(
                            expr="sum(budget.fiscal, budget.other_funds)",
                            name="income_total",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="事业发展性支出",
                        ),
                        LabelCell.model_construct(
                            label="预算金额（万元）",
                        ),
                        LabelCell.model_construct(
                            label="按预算级次划分",
                        ),
                        LabelCell.model_construct(
                            label="预算金额（万元）",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="财政专项资金",
                        ),
                        FieldCell.model_construct(
                            field="budget.special",
                        ),
                        LabelCell.model_construct(
                            label="市本级使用资金",
                        ),
                        FieldCell.model_construct(
                            field="budget.city_level",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="其他事业发展性支出",
                        ),
                        FieldCell.model_construct(
                            field="budget.other_development",
                        ),
                        LabelCell.model_construct(
                            label="拟用于对下转移支付资金",
                        ),
                        FieldCell.model_construct(
                            field="budget.transfer",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="合计",
                            total=True,
                        ),
                        ExprCell.model_construct(
                            expr="sum(budget.special, budget.other_development)",
                            name="development_total",
                        ),
                        LabelCell.model_construct(
                            label="合计",
                            total=True,
                        ),
                        ExprCell.model_construct(
                            expr="sum(budget.city_level, budget.transfer)",
                            name="level_total",
                        ),
                    ],
                ],
                must_equal=[
                    (
                        "expense_total",
                        "income_total",
                    ),
                    (
                        "development_total",
                        "level_total",
                    ),
                ],
            ),
            FixedSection.model_construct(
                label="总体绩效目标",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="goals",
                            span=4,
                            style="text",
                            min_lines=5,
                        ),
                    ],
                ],
            ),
            TableSection.model_construct(
                label="年度重点工作任务",
                kind="table",
                field="key_tasks",
                model="Task",
                columns=[
                    Column.model_construct(
                        label="名称",
                        max_length=100,
                        field="name",
                    ),
                    Column.model_construct(
                        label="主要实施内容",
                        max_length=2000,
                        field="content",
                    ),
                    Column.model_construct(
                        type="amount",
                        label="拟投入的资金（万元）",
                        field="funds",
                    ),
                    Column.model_construct(
                        label="期望达到的目标（概述）",
                        max_length=2000,
                        field="outcome",
                    ),
                ],
                blank_rows=5,
                min_lines=2,
                total=Total.model_construct(
                    label="合计",
                    column="funds",
                    name="key_task_total",
                ),
            ),
            TableSection.model_construct(
                label="其他需完成的任务（可选填）",
                aliases=[
                    "其他需完成的任务",
                ],
                kind="table",
                field="other_tasks",
                model="Task",
                title="其他需完成的任务",
                columns=[
                    Column.model_construct(
                        label="名称",
                        max_length=100,
                        field="name",
                    ),
                    Column.model_construct(
                        label="主要实施内容",
                        max_length=2000,
                        field="content",
                    ),
                    Column.model_construct(
                        type="amount",
                        label="拟投入的资金（万元）",
                        field="funds",
                    ),
                    Column.model_construct(
                        label="期望达到的目标（概述）",
                        max_length=2000,
                        field="outcome",
                    ),
                ],
                header=False,
                blank_rows=2,
                min_lines=2,
            ),
            IndicatorSection.model_construct(
                label="绩效指标",
                kind="indicators",
                field="indicators",
                model="Indicator",
                levels=[
                    Level.model_construct(
                        field="level1",
                        label="一级指标",
                    ),
                    Level.model_construct(
                        field="level2",
                        label="二级指标",
                    ),
                ],
                columns=[
                    Column.model_construct(
                        label="三级指标",
                        max_length=200,
                        field="name",
                        required=True,
                    ),
                    Column.model_construct(
                        label="指标值",
                        max_length=500,
                        field="value",
                        required=True,
                    ),
                ],
                blank_rows=3,
                framework=[
                    Node.model_construct(
                        name="产出指标",
                        items=[
                            "数量指标",
                            "质量指标",
                            "时效指标",
                            "成本指标",
                        ],
                    ),
                    Node.model_construct(
                        name="效益指标",
                        items=[
                            "经济效益指标",
                            "社会效益指标",
                            "生态效益指标",
                            "可持续影响指标",
                        ],
                    ),
                    Node.model_construct(
                        name="满意度指标",
                        items=[
                            "服务对象满意度指标",
                        ],
                    ),
                ],
                group_aliases={
                    "服务对象": "服务对象满意度指标",
                    "服务对象满意度": "服务对象满意度指标",
                },
            ),
            NoteSection.model_construct(
                label="备注",
                kind="note",
                text='备注：1.本表的填报主体是市级一级预算单位。2.本表在"二上"环节通过系统录入，具体字段信息以系统为准。',
            ),
        ],
        checks=Checks.model_construct(
            required=[
                "year",
                "department",
                "goals",
                "key_tasks",
            ],
            rules=[
                RuleSpec.model_construct(
                    code="r1-budget-unbalanced",
                    check="sum(budget.basic, budget.project) == sum(budget.fiscal, budget.other_funds)",
                    at="expense_total",
                    zh="部门预算支出合计 {left} 万元（{labels[budget.basic]}+{labels[budget.project]}）与收入来源合计 {right} 万元（{labels[budget.fiscal]}+{labels[budget.other_funds]}）不相等",
                    en="expenses {left} ({labels[budget.basic]} + {labels[budget.project]}) differ from income {right} ({labels[budget.fiscal]} + {labels[budget.other_funds]})",
                ),
                RuleSpec.model_construct(
                    code="r2-task-funds-exceed-project",
                    check="sum(key_tasks[*].funds) <= sum(budget.project)",
                    at="key_task_total",
                    zh="{labels[key_tasks]}拟投入资金合计 {left} 万元超过{labels[budget.project]} {right} 万元",
                    en="{labels[key_tasks]} funds total {left}, more than {labels[budget.project]} {right}",
                ),
                RuleSpec.model_construct(
                    code="r3-development-unbalanced",
                    check="sum(budget.special, budget.other_development) == sum(budget.city_level, budget.transfer)",
                    at="development_total",
                    zh="事业发展性支出合计 {left} 万元（{labels[budget.special]}+{labels[budget.other_development]}）与按预算级次划分合计 {right} 万元（{labels[budget.city_level]}+{labels[budget.transfer]}）不相等",
                    en="development spending {left} differs from its split by level {right}",
                ),
                RuleSpec.model_construct(
                    code="r4-development-exceeds-project",
                    severity="warning",
                    check="sum(budget.special, budget.other_development) <= sum(budget.project)",
                    at="development_total",
                    zh="事业发展性支出合计 {left} 万元超过{labels[budget.project]} {right} 万元，请核实",
                    en="development spending {left} is more than {labels[budget.project]} {right}; please confirm",
                ),
            ],
        ),
    )


def project_performance_target() -> Spec:
    return Spec.model_construct(
        form=Meta.model_construct(
            id="project-performance-target",
            version="1",
            name="项目支出绩效目标申报表",
            sheet="绩效目标申报表",
            title="{year}年项目支出绩效目标申报表",
            model="ProjectTarget",
            subject="project",
        ),
        protection=Protection.model_construct(
            allow=[
                "insertRows",
                "formatCells",
                "formatColumns",
                "formatRows",
            ],
        ),
        validation={
            "amount": Rule.model_construct(
                title="金额（万元）",
                prompt="请填写不小于0的数字，单位为万元，最多6位小数；不要填写文字或“万元”。",
                error="金额须为不小于0的数字（万元），最多6位小数。",
            ),
            "text": Rule.model_construct(
                title="文字",
                prompt="最多{max}个字。",
                error="内容过长：最多{max}个字，请精简。",
            ),
            "level1": Rule.model_construct(
                title="一级指标",
                prompt="请从列表中选择一级指标。",
                error="一级指标须从列表中选择。",
            ),
            "level2": Rule.model_construct(
                title="二级指标",
                prompt="请从列表中选择二级指标。",
                error="二级指标须从列表中选择。",
            ),
            "label": Rule.model_construct(
                title="栏目名称",
                prompt="这是表格的栏目名称，请勿修改。",
                error="栏目名称不能修改。",
            ),
        },
        instructions=Instructions.model_construct(
            sheet="填表说明",
            title="{year}年项目支出绩效目标申报表 填表说明",
            lines=[
                "一、填报主体：由项目实施单位填写，主管部门审核；每个项目一张表。一个部门有多个项目时，可以每个项目一个文件，也可以在同一文件中每个项目一个工作表。",
                "二、填写范围：白色单元格可以填写；栏目名称和公式单元格已锁定，无需也不能修改。",
                "三、项目属性：从列表中选择“新增项目”或“延续项目”；项目期填写起止年度，如“{year}年–{year}年”。",
                "四、项目资金：以“万元”为单位，直接填写数字，最多6位小数。年度资金总额自动计算，等于财政拨款与其他资金之和。",
                "五、年度绩效目标：逐条填写，每条以“目标1：”“目标2：”开头，条目之间换行（Excel/WPS 按 Alt+Enter，LibreOffice 按 Ctrl+Enter）。",
                "六、绩效指标：一级、二级指标已按指标体系列出，请在二级指标下填写三级指标名称和指标值（如“≥95%”“{year}.12.31”）；每个一级指标下至少填写一个三级指标，三级指标名称和指标值须同时填写。",
                "七、增加行：指标行不够时，选中该二级指标中已有的某一行，在 Excel/WPS 中右键选择“插入”→“整行”，在 LibreOffice 中右键选择“在上方插入行”。",
                "八、请勿修改工作表名称、删除工作表；填好后保存为 .xlsx 文件发回。",
            ],
        ),
        page=Page.model_construct(
            paper="A4",
            orientation="portrait",
            fit_to_width=True,
            margins={
                "left": 1.5,
                "right": 1.5,
                "top": 1.8,
                "bottom": 1.8,
                "header": 0.8,
                "footer": 0.8,
            },
        ),
        fonts={
            "title": Font.model_construct(
                name="方正小标宋简体",
                fallback="宋体",
                size=20.0,
            ),
            "body": Font.model_construct(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=12.0,
            ),
            "note": Font.model_construct(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=11.0,
            ),
        },
        columns={
            "A": 15.0,
            "B": 22.0,
            "C": 26.0,
            "D": 24.0,
            "E": 27.0,
        },
        styles={
            "title": Style.model_construct(
                font="title",
                align="center",
                border=False,
            ),
            "label": Style.model_construct(
                font="body",
                align="center",
            ),
            "total": Style.model_construct(
                font="body",
                align="center",
                bold=True,
            ),
            "text": Style.model_construct(
                font="body",
                align="left",
            ),
            "amount": Style.model_construct(
                font="body",
                align="right",
                number_format="#,##0.00",
            ),
            "note": Style.model_construct(
                font="note",
                align="left",
                border=False,
            ),
        },
        groups={
            "funds": Group.model_construct(
                label="项目资金（万元）",
                model="ProjectFunds",
            ),
        },
        fields={
            "project": FieldSpec.model_construct(
                type="text",
                label="项目名称",
                max_length=200,
            ),
            "department": FieldSpec.model_construct(
                type="text",
                label="主管部门",
                max_length=100,
            ),
            "unit": FieldSpec.model_construct(
                type="text",
                label="实施单位",
                max_length=100,
            ),
            "kind": FieldSpec.model_construct(
                type="choice",
                label="项目属性",
                choices=[
                    "新增项目",
                    "延续项目",
                ],
            ),
            "period": FieldSpec.model_construct(
                type="text",
                label="项目期",
                max_length=50,
            ),
            "funds.total": FieldSpec.model_construct(
                type="amount",
                label="年度资金总额",
            ),
            "funds.fiscal": FieldSpec.model_construct(
                type="amount",
                label="财政拨款",
            ),
            "funds.other": FieldSpec.model_construct(
                type="amount",
                label="其他资金",
            ),
            "goals": FieldSpec.model_construct(
                type="lines",
                label="年度绩效目标",
                max_length=5000,
                numbered="目标{n}：",
            ),
        },
        sections=[
            TitleSection.model_construct(
                kind="title",
                text="{year}年项目支出绩效目标申报表",
                height=40.0,
            ),
            FixedSection.model_construct(
                label="项目名称",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="project",
                            span=4,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="主管部门",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="department",
                        ),
                        LabelCell.model_construct(
                            label="实施单位",
                        ),
                        FieldCell.model_construct(
                            field="unit",
                            span=2,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="项目属性",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="kind",
                        ),
                        LabelCell.model_construct(
                            label="项目期",
                        ),
                        FieldCell.model_construct(
                            field="period",
                            span=2,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="项目资金（万元）",
                aliases=[
                    "项目资金",
                ],
                kind="fixed",
                rows=[
                    [
                        LabelCell.model_construct(
                            label="年度资金总额",
                            total=True,
                        ),
                        ExprCell.model_construct(
                            expr="sum(funds.fiscal, funds.other)",
                            field="funds.total",
                            span=3,
                            code="p1-funds-unbalanced",
                            zh="{labels[funds.total]}填写为 {value} 万元，不等于{labels[funds.fiscal]}与{labels[funds.other]}之和 {expected} 万元",
                            en="{labels[funds.total]} says {value}, not {labels[funds.fiscal]} + {labels[funds.other]} = {expected}",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="其中：财政拨款",
                        ),
                        FieldCell.model_construct(
                            field="funds.fiscal",
                            span=3,
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="其他资金",
                        ),
                        FieldCell.model_construct(
                            field="funds.other",
                            span=3,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="年度绩效目标",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="goals",
                            span=4,
                            style="text",
                            min_lines=4,
                        ),
                    ],
                ],
            ),
            IndicatorSection.model_construct(
                label="绩效指标",
                kind="indicators",
                field="indicators",
                model="TargetIndicator",
                levels=[
                    Level.model_construct(
                        field="level1",
                        label="一级指标",
                    ),
                    Level.model_construct(
                        field="level2",
                        label="二级指标",
                    ),
                ],
                columns=[
                    Column.model_construct(
                        label="三级指标",
                        max_length=200,
                        field="name",
                        required=True,
                    ),
                    Column.model_construct(
                        label="指标值",
                        max_length=500,
                        field="value",
                        required=True,
                    ),
                ],
                blank_rows=2,
                framework=[
                    Node.model_construct(
                        name="产出指标",
                        items=[
                            "数量指标",
                            "质量指标",
                            "时效指标",
                            "成本指标",
                        ],
                    ),
                    Node.model_construct(
                        name="效益指标",
                        items=[
                            "经济效益指标",
                            "社会效益指标",
                            "生态效益指标",
                            "可持续影响指标",
                        ],
                    ),
                    Node.model_construct(
                        name="满意度指标",
                        items=[
                            "服务对象满意度指标",
                        ],
                    ),
                ],
                group_aliases={
                    "服务对象": "服务对象满意度指标",
                    "服务对象满意度": "服务对象满意度指标",
                },
            ),
        ],
        checks=Checks.model_construct(
            required=[
                "year",
                "project",
                "department",
                "goals",
            ],
        ),
    )


def project_self_evaluation() -> Spec:
    return Spec.model_construct(
        form=Meta.model_construct(
            id="project-self-evaluation",
            version="1",
            name="项目支出绩效自评表",
            sheet="绩效自评表",
            title="{year}年度项目支出绩效自评表",
            model="SelfEvaluation",
            subject="project",
        ),
        protection=Protection.model_construct(
            allow=[
                "insertRows",
                "formatCells",
                "formatColumns",
                "formatRows",
            ],
        ),
        validation={
            "amount": Rule.model_construct(
                title="金额（万元）",
                prompt="请填写不小于0的数字，单位为万元，最多6位小数；不要填写文字或“万元”。",
                error="金额须为不小于0的数字（万元），最多6位小数。",
            ),
            "number": Rule.model_construct(
                title="分值或得分",
                prompt="请填写不小于0的数字，得分不超过分值。",
                error="须为不小于0的数字。",
            ),
            "percent": Rule.model_construct(
                title="百分比",
                prompt="请填写百分比，如 87.7%。",
                error="须为不小于0的百分比。",
            ),
            "text": Rule.model_construct(
                title="文字",
                prompt="最多{max}个字。",
                error="内容过长：最多{max}个字，请精简。",
            ),
            "level1": Rule.model_construct(
                title="一级指标",
                prompt="请从列表中选择一级指标。",
                error="一级指标须从列表中选择。",
            ),
            "level2": Rule.model_construct(
                title="二级指标",
                prompt="请从列表中选择二级指标。",
                error="二级指标须从列表中选择。",
            ),
            "label": Rule.model_construct(
                title="栏目名称",
                prompt="这是表格的栏目名称，请勿修改。",
                error="栏目名称不能修改。",
            ),
        },
        instructions=Instructions.model_construct(
            sheet="填表说明",
            title="{year}年度项目支出绩效自评表 填表说明",
            lines=[
                "一、填报主体：由项目实施单位在年度结束后填写，主管部门审核；每个项目一张表。一个部门有多个项目时，可以每个项目一个文件，也可以在同一文件中每个项目一个工作表。",
                "二、填写范围：白色单元格可以填写；栏目名称和公式单元格（年度资金总额、执行率、得分、总分）已锁定，自动计算。",
                "三、项目资金：以“万元”为单位填写年初预算数、全年预算数和全年执行数；年度资金总额等于当年财政拨款、上年结转资金和其他资金之和。",
                "四、执行率＝全年执行数÷全年预算数（保留一位小数的百分比）；预算执行得分＝10×执行率（执行率超过100%时按100%计），保留两位小数。",
                "五、绩效指标：在二级指标下填写三级指标名称、年度指标值、实际完成值、分值和得分；三级指标名称、年度指标值和分值须填写。各指标分值合计为90分（一般产出指标50分、效益指标30分、满意度指标10分），加上预算执行的10分，总分的分值为100分。",
                "六、得分不能为负数，也不能超过分值；得分低于分值的，须在“偏差原因分析及改进措施”中说明原因和改进措施。",
                "七、增加行：指标行不够时，选中该二级指标中已有的某一行，在 Excel/WPS 中右键选择“插入”→“整行”，在 LibreOffice 中右键选择“在上方插入行”。总分自动包括新行。",
                "八、请勿修改工作表名称、删除工作表；填好后保存为 .xlsx 文件发回。",
            ],
        ),
        page=Page.model_construct(
            paper="A4",
            orientation="landscape",
            fit_to_width=True,
            margins={
                "left": 1.2,
                "right": 1.2,
                "top": 1.5,
                "bottom": 1.5,
                "header": 0.8,
                "footer": 0.8,
            },
        ),
        fonts={
            "title": Font.model_construct(
                name="方正小标宋简体",
                fallback="宋体",
                size=18.0,
            ),
            "body": Font.model_construct(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=11.0,
            ),
            "note": Font.model_construct(
                name="仿宋_GB2312",
                fallback="仿宋",
                size=10.0,
            ),
        },
        columns={
            "A": 10.0,
            "B": 19.0,
            "C": 18.0,
            "D": 21.0,
            "E": 13.0,
            "F": 13.0,
            "G": 8.5,
            "H": 8.5,
            "I": 20.0,
        },
        styles={
            "title": Style.model_construct(
                font="title",
                align="center",
                border=False,
            ),
            "label": Style.model_construct(
                font="body",
                align="center",
            ),
            "total": Style.model_construct(
                font="body",
                align="center",
                bold=True,
            ),
            "text": Style.model_construct(
                font="body",
                align="left",
            ),
            "amount": Style.model_construct(
                font="body",
                align="right",
                number_format="#,##0.00",
            ),
            "number": Style.model_construct(
                font="body",
                align="center",
                number_format="0.00",
            ),
            "percent": Style.model_construct(
                font="body",
                align="center",
                number_format="0.0%",
            ),
            "note": Style.model_construct(
                font="note",
                align="left",
                border=False,
            ),
        },
        groups={
            "funds": Group.model_construct(
                label="项目资金（万元）",
                model="EvaluationFunds",
            ),
            "funds.total": Group.model_construct(
                label="年度资金总额",
                model="FundsTotal",
            ),
            "funds.fiscal": Group.model_construct(
                label="当年财政拨款",
                model="FundsFiscal",
            ),
            "funds.carry": Group.model_construct(
                label="上年结转资金",
                model="FundsCarry",
            ),
            "funds.other": Group.model_construct(
                label="其他资金",
                model="FundsOther",
            ),
            "total": Group.model_construct(
                label="总分",
                model="EvaluationTotal",
            ),
        },
        fields={
            "project": FieldSpec.model_construct(
                type="text",
                label="项目名称",
                max_length=200,
            ),
            "department": FieldSpec.model_construct(
                type="text",
                label="主管部门",
                max_length=100,
            ),
            "unit": FieldSpec.model_construct(
                type="text",
                label="实施单位",
                max_length=100,
            ),
            "funds.total.start": FieldSpec.model_construct(
                type="amount",
                label="年度资金总额年初预算数",
            ),
            "funds.total.budget": FieldSpec.model_construct(
                type="amount",
                label="年度资金总额全年预算数",
            ),
            "funds.total.spent": FieldSpec.model_construct(
                type="amount",
                label="年度资金总额全年执行数",
            ),
            "funds.fiscal.start": FieldSpec.model_construct(
                type="amount",
                label="当年财政拨款年初预算数",
            ),
            "funds.fiscal.budget": FieldSpec.model_construct(
                type="amount",
                label="当年财政拨款全年预算数",
            ),
            "funds.fiscal.spent": FieldSpec.model_construct(
                type="amount",
                label="当年财政拨款全年执行数",
            ),
            "funds.carry.start": FieldSpec.model_construct(
                type="amount",
                label="上年结转资金年初预算数",
            ),
            "funds.carry.budget": FieldSpec.model_construct(
                type="amount",
                label="上年结转资金全年预算数",
            ),
            "funds.carry.spent": FieldSpec.model_construct(
                type="amount",
                label="上年结转资金全年执行数",
            ),
            "funds.other.start": FieldSpec.model_construct(
                type="amount",
                label="其他资金年初预算数",
            ),
            "funds.other.budget": FieldSpec.model_construct(
                type="amount",
                label="其他资金全年预算数",
            ),
            "funds.other.spent": FieldSpec.model_construct(
                type="amount",
                label="其他资金全年执行数",
            ),
            "funds.rate": FieldSpec.model_construct(
                type="percent",
                label="执行率",
            ),
            "funds.score": FieldSpec.model_construct(
                type="number",
                label="预算执行得分",
            ),
            "goals": FieldSpec.model_construct(
                type="text",
                label="预期目标",
                max_length=5000,
            ),
            "achieved": FieldSpec.model_construct(
                type="text",
                label="实际完成情况",
                max_length=5000,
            ),
            "total.weight": FieldSpec.model_construct(
                type="number",
                label="总分分值",
            ),
            "total.score": FieldSpec.model_construct(
                type="number",
                label="总分",
            ),
        },
        sections=[
            TitleSection.model_construct(
                kind="title",
                text="{year}年度项目支出绩效自评表",
                height=36.0,
            ),
            FixedSection.model_construct(
                label="项目名称",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="project",
                            span=8,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="主管部门",
                kind="fixed",
                rows=[
                    [
                        FieldCell.model_construct(
                            field="department",
                            span=3,
                        ),
                        LabelCell.model_construct(
                            label="实施单位",
                        ),
                        FieldCell.model_construct(
                            field="unit",
                            span=4,
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="项目资金（万元）",
                aliases=[
                    "项目资金",
                ],
                kind="fixed",
                rows=[
                    [
                        LabelCell.model_construct(
                            label="",
                        ),
                        LabelCell.model_construct(
                            label="年初预算数",
                        ),
                        LabelCell.model_construct(
                            label="全年预算数",
                        ),
                        LabelCell.model_construct(
                            label="全年执行数",
                        ),
                        LabelCell.model_construct(
                            label="分值",
                        ),
                        LabelCell.model_construct(
                            label="执行率",
                        ),
                        LabelCell.model_construct(
                            label="得分",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="年度资金总额",
                            total=True,
                        ),
                        ExprCell.model_construct(
                            expr="sum(funds.fiscal.start, funds.carry.start, funds.other.start)",
                            field="funds.total.start",
                            code="s1-funds-unbalanced",
                            zh="{label}填写为 {value} 万元，不等于三项资金之和 {expected} 万元",
                            en="{label} says {value}, but its three sources add up to {expected}",
                        ),
                        ExprCell.model_construct(
                            expr="sum(funds.fiscal.budget, funds.carry.budget, funds.other.budget)",
                            field="funds.total.budget",
                            code="s1-funds-unbalanced",
                            zh="{label}填写为 {value} 万元，不等于三项资金之和 {expected} 万元",
                            en="{label} says {value}, but its three sources add up to {expected}",
                        ),
                        ExprCell.model_construct(
                            expr="sum(funds.fiscal.spent, funds.carry.spent, funds.other.spent)",
                            field="funds.total.spent",
                            code="s1-funds-unbalanced",
                            zh="{label}填写为 {value} 万元，不等于三项资金之和 {expected} 万元",
                            en="{label} says {value}, but its three sources add up to {expected}",
                        ),
                        LabelCell.model_construct(
                            label="10",
                        ),
                        ExprCell.model_construct(
                            expr="ratio(funds.total.spent, funds.total.budget, 3)",
                            field="funds.rate",
                            code="s2-rate-mismatch",
                            zh="执行率填写为 {value}，按全年执行数÷全年预算数应为 {expected}",
                            en="the execution rate says {value}; spent / budget is {expected}",
                        ),
                        ExprCell.model_construct(
                            expr='if(filled(funds.rate), round(10 * min(funds.rate, 1), 2), "")',
                            field="funds.score",
                            code="s3-budget-score-mismatch",
                            zh="预算执行得分填写为 {value}，按 10×执行率 应为 {expected}",
                            en="the budget score says {value}; 10 × the rate is {expected}",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="其中：当年财政拨款",
                        ),
                        FieldCell.model_construct(
                            field="funds.fiscal.start",
                        ),
                        FieldCell.model_construct(
                            field="funds.fiscal.budget",
                        ),
                        FieldCell.model_construct(
                            field="funds.fiscal.spent",
                        ),
                        LabelCell.model_construct(
                            label="—",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                        LabelCell.model_construct(
                            label="—",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="上年结转资金",
                        ),
                        FieldCell.model_construct(
                            field="funds.carry.start",
                        ),
                        FieldCell.model_construct(
                            field="funds.carry.budget",
                        ),
                        FieldCell.model_construct(
                            field="funds.carry.spent",
                        ),
                        LabelCell.model_construct(
                            label="—",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                        LabelCell.model_construct(
                            label="—",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                    ],
                    [
                        LabelCell.model_construct(
                            label="其他资金",
                        ),
                        FieldCell.model_construct(
                            field="funds.other.start",
                        ),
                        FieldCell.model_construct(
                            field="funds.other.budget",
                        ),
                        FieldCell.model_construct(
                            field="funds.other.spent",
                        ),
                        LabelCell.model_construct(
                            label="—",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                        LabelCell.model_construct(
                            label="—",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                    ],
                ],
            ),
            FixedSection.model_construct(
                label="年度总体目标",
                kind="fixed",
                rows=[
                    [
                        LabelCell.model_construct(
                            label="预期目标",
                            span=4,
                        ),
                        LabelCell.model_construct(
                            label="实际完成情况",
                            span=4,
                        ),
                    ],
                    [
                        FieldCell.model_construct(
                            field="goals",
                            span=4,
                            min_lines=4,
                        ),
                        FieldCell.model_construct(
                            field="achieved",
                            span=4,
                            min_lines=4,
                        ),
                    ],
                ],
            ),
            IndicatorSection.model_construct(
                label="绩效指标",
                kind="indicators",
                field="indicators",
                model="EvaluationIndicator",
                levels=[
                    Level.model_construct(
                        field="level1",
                        label="一级指标",
                    ),
                    Level.model_construct(
                        field="level2",
                        label="二级指标",
                    ),
                ],
                columns=[
                    Column.model_construct(
                        label="三级指标",
                        max_length=200,
                        field="name",
                        required=True,
                    ),
                    Column.model_construct(
                        label="年度指标值",
                        max_length=500,
                        field="target",
                        required=True,
                    ),
                    Column.model_construct(
                        label="实际完成值",
                        max_length=500,
                        field="actual",
                    ),
                    Column.model_construct(
                        type="number",
                        label="分值",
                        field="weight",
                        required=True,
                    ),
                    Column.model_construct(
                        type="number",
                        label="得分",
                        field="score",
                    ),
                    Column.model_construct(
                        label="偏差原因分析及改进措施",
                        max_length=1000,
                        field="reason",
                    ),
                ],
                blank_rows=2,
                framework=[
                    Node.model_construct(
                        name="产出指标",
                        items=[
                            "数量指标",
                            "质量指标",
                            "时效指标",
                            "成本指标",
                        ],
                    ),
                    Node.model_construct(
                        name="效益指标",
                        items=[
                            "经济效益指标",
                            "社会效益指标",
                            "生态效益指标",
                            "可持续影响指标",
                        ],
                    ),
                    Node.model_construct(
                        name="满意度指标",
                        items=[
                            "服务对象满意度指标",
                        ],
                    ),
                ],
                group_aliases={
                    "服务对象": "服务对象满意度指标",
                    "服务对象满意度": "服务对象满意度指标",
                },
            ),
            FixedSection.model_construct(
                label="总分",
                kind="fixed",
                rows=[
                    [
                        LabelCell.model_construct(
                            label="",
                            span=5,
                        ),
                        ExprCell.model_construct(
                            expr="sum(10, indicators[*].weight)",
                            field="total.weight",
                            code="s4-total-weight-mismatch",
                            zh="总分的分值填写为 {value}，按各项分值应为 {expected}",
                            en="the total weight says {value}; the weights add up to {expected}",
                        ),
                        ExprCell.model_construct(
                            expr="sum(funds.score, indicators[*].score)",
                            field="total.score",
                            code="s6-total-score-mismatch",
                            zh="总分填写为 {value}，按各项得分应为 {expected}",
                            en="the total score says {value}; the scores add up to {expected}",
                        ),
                        LabelCell.model_construct(
                            label="",
                        ),
                    ],
                ],
            ),
            NoteSection.model_construct(
                label="备注",
                kind="note",
                text="备注：1.本表由项目实施单位填写，主管部门审核。2.预算执行率分值10分，绩效指标分值合计90分，总分100分。3.得分低于分值的指标须说明偏差原因及改进措施。",
            ),
        ],
        checks=Checks.model_construct(
            required=[
                "year",
                "project",
                "department",
                "unit",
                "goals",
                "achieved",
            ],
            rules=[
                RuleSpec.model_construct(
                    code="s4-weights-not-90",
                    check="sum(indicators[*].weight) == 90",
                    at="total.weight",
                    zh="各绩效指标的{labels[indicators.weight]}合计为 {left}，应为 90（加上预算执行的 10 分，总分为 100）",
                    en="the indicators' weights add up to {left}, not 90 (with the budget's 10, the total is 100)",
                ),
                RuleSpec.model_construct(
                    code="s4-unusual-split",
                    severity="warning",
                    check='sum(indicators[*].weight) != 90 or sumif(indicators[*].weight, indicators[*].level1, "产出指标") == 50 and sumif(indicators[*].weight, indicators[*].level1, "效益指标") == 30 and sumif(indicators[*].weight, indicators[*].level1, "满意度指标") == 10',
                    at="total.weight",
                    zh="分值一般按产出指标 50、效益指标 30、满意度指标 10 分配，本表的分配不同，请核实",
                    en="weights are usually 50 for output, 30 for benefit and 10 for satisfaction; this form splits them differently, please confirm",
                ),
                RuleSpec.model_construct(
                    code="s5-score-out-of-range",
                    check="score >= 0 and score <= weight",
                    at="score",
                    each="indicators",
                    zh="指标“{row}”的{labels[indicators.score]} {value} 应在 0 到{labels[indicators.weight]}之间",
                    en="the score of '{row}' is outside 0 to its weight",
                ),
                RuleSpec.model_construct(
                    code="s7-reason-missing",
                    severity="warning",
                    check="not (score < weight) or filled(reason)",
                    at="reason",
                    each="indicators",
                    zh="指标“{row}”的得分低于分值，请填写{labels[indicators.reason]}",
                    en="the score of '{row}' is below its weight: give the reason and the remedy",
                ),
            ],
        ),
    )


BY_TEXT: dict[str, Callable[[], Spec]] = {
    "c95ad2486253f2eee31a0b83538f137417b6e2c357d1e69f8d207d3992a07f24": city_department_performance,
    "77fddc0f9751a0cee7b45221f6d7bf7af434c6fb1dd469d56e60cecab94a3ab3": project_performance_target,
    "c96de3ac8d29f390559c8bd1b22ffbcc4d2049a04189db91a7246994b3b2f2c0": project_self_evaluation,
}
"""Each built-in spec by the digest of its text (xlsxform.spec.layout.text_digest)."""
